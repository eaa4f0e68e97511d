import { UnsupportedSqlError } from "../errors/unsupported-sql-error";
import { isTrivia, tokenize, type SqlTokenKind } from "../sql/tokenizer";
import type { ProductionDialect } from "./production-profile";

/** A statement's tokens, whitespace and comments left out, as construct patterns read them. */
interface Code {
  readonly kinds: readonly SqlTokenKind[];
  /** Upper-cased words; the text of everything else. */
  readonly texts: readonly string[];
  /** Runs of operator characters written together (`@>`, `?|`), whatever the dialect made of them. */
  readonly operators: readonly string[];
}

interface Construct {
  readonly matches: (code: Code) => boolean;
  readonly name: string;
  readonly advice: string;
  /** The production dialect whose syntax it is; both when left out. In the other, production rejects it too. */
  readonly only?: ProductionDialect;
}

const PORTABLE = "Use the query builder or find options, which generate SQL for the test engine, or write portable SQL.";

/** Whether the words `words` follow one another somewhere in `code` (from `at` only, when given). */
function hasWords(code: Code, words: readonly string[], at?: number): boolean {
  const { kinds, texts } = code;
  const matchesAt = (i: number) => words.every((word, n) => kinds[i + n] === "word" && texts[i + n] === word);
  if (at !== undefined) return matchesAt(at);
  for (let i = 0; i + words.length <= texts.length; i++) if (matchesAt(i)) return true;
  return false;
}

/** Whether a word in `words` is followed by the token `next` (the text, or a kind's test). */
function wordBefore(code: Code, words: readonly string[], next: (i: number) => boolean): boolean {
  for (let i = 0; i + 1 < code.texts.length; i++)
    if (code.kinds[i] === "word" && words.includes(code.texts[i]!) && next(i + 1)) return true;
  return false;
}

const JSON_OPERATORS = ["@>", "<@", "?|", "?&", "#>"];

/** Production-only syntax, recognised after the engine rejected a statement, to say what went wrong. */
const CONSTRUCTS: readonly Construct[] = [
  {
    // Postgres reads "::" as one operator; MySQL as two ":".
    matches: (code) =>
      code.texts.some(
        (text, i) =>
          (text === "::" && code.kinds[i + 1] === "word") || (text === ":" && code.texts[i + 1] === ":" && code.kinds[i + 2] === "word"),
      ),
    name: "a Postgres cast (::type)",
    only: "postgres",
    advice: `Use CAST(value AS type). ${PORTABLE}`,
  },
  {
    matches: (code) => hasWords(code, ["ILIKE"]),
    name: "ILIKE",
    only: "postgres",
    advice: `Use TypeORM's ILike() operator, or LOWER(column) LIKE LOWER(:value).`,
  },
  { matches: (code) => hasWords(code, ["SIMILAR", "TO"]), name: "SIMILAR TO", only: "postgres", advice: PORTABLE },
  { matches: (code) => hasWords(code, ["DISTINCT", "ON"]), name: "DISTINCT ON", only: "postgres", advice: PORTABLE },
  {
    matches: (code) => wordBefore(code, ["ARRAY"], (i) => code.texts[i] === "["),
    name: "an ARRAY[…] constructor",
    only: "postgres",
    advice: PORTABLE,
  },
  {
    matches: (code) =>
      code.texts.some(
        (text, i) => code.kinds[i] === "operator" && text.endsWith("=") && hasWords(code, ["ANY"], i + 1) && code.texts[i + 2] === "(",
      ) ||
      wordBefore(code, ["ALL"], (i) => code.texts[i] === "(" && code.kinds[i + 1] === "placeholder" && code.texts[i + 1]!.startsWith("$")),
    name: "= ANY(array)",
    advice: `Use TypeORM's In() operator. ${PORTABLE}`,
  },
  {
    matches: (code) => code.operators.some((run) => JSON_OPERATORS.some((op) => run.includes(op))),
    name: "a Postgres jsonb/array operator",
    only: "postgres",
    advice: PORTABLE,
  },
  {
    matches: (code) => code.texts.some((text, i) => ["~", "~*", "!~", "!~*"].includes(text) && code.kinds[i + 1] === "string"),
    name: "a Postgres regular expression match",
    only: "postgres",
    advice: PORTABLE,
  },
  { matches: (code) => wordBefore(code, ["INTERVAL"], (i) => code.kinds[i] === "string"), name: "an INTERVAL literal", advice: PORTABLE },
  {
    matches: (code) => hasWords(code, ["ON", "DUPLICATE", "KEY", "UPDATE"]),
    name: "ON DUPLICATE KEY UPDATE",
    only: "mysql",
    advice: `Use repository.upsert() or orUpdate(). ${PORTABLE}`,
  },
  {
    matches: (code) => hasWords(code, ["INSERT", "IGNORE"], 0),
    name: "INSERT IGNORE",
    only: "mysql",
    advice: `Use orIgnore(). ${PORTABLE}`,
  },
  {
    matches: (code) =>
      hasWords(code, ["SET", "TRANSACTION"], 0) ||
      hasWords(code, ["SET", "SESSION", "TRANSACTION"], 0) ||
      hasWords(code, ["SET", "LOCAL", "TRANSACTION"], 0),
    name: "SET TRANSACTION",
    advice: "Pass the isolation level to dataSource.transaction(level, …) or queryRunner.startTransaction(level).",
  },
  {
    matches: (code) => hasWords(code, ["SET"], 0),
    name: "a SET statement",
    advice: "Session settings of the production database have no equivalent in the test engine.",
  },
  {
    matches: (code) =>
      hasWords(code, ["SQL_CALC_FOUND_ROWS"]) ||
      hasWords(code, ["STRAIGHT_JOIN"]) ||
      wordBefore(code, ["USE", "FORCE", "IGNORE"], (i) => code.kinds[i] === "word" && code.texts[i] === "INDEX"),
    name: "MySQL-only select syntax",
    only: "mysql",
    advice: PORTABLE,
  },
];

/** The tokens of `sql` as production's dialect reads them, with runs of operator characters joined. */
function codeOf(sql: string, dialect: ProductionDialect): Code {
  const kinds: SqlTokenKind[] = [];
  const texts: string[] = [];
  const operators: string[] = [];
  let run = "";
  let runEnd = -1;
  for (const token of tokenize(sql, dialect)) {
    if (isTrivia(token.kind)) continue;
    const text = sql.slice(token.start, token.end);
    kinds.push(token.kind);
    texts.push(token.kind === "word" ? text.toUpperCase() : text);
    const operatorLike = token.kind === "operator" || token.kind === "punctuation" || (token.kind === "placeholder" && text === "?");
    if (operatorLike && token.start === runEnd) run += text;
    else {
      if (run !== "") operators.push(run);
      run = operatorLike ? text : "";
    }
    runEnd = operatorLike ? token.end : -1;
  }
  if (run !== "") operators.push(run);
  return { kinds, texts, operators };
}

const ENGINE_REJECTED = /syntax error|no such function|unrecognized token|near "/i;
const NO_SUCH_FUNCTION = /no such function: ([\w.]+)/i;

function messageOf(error: unknown): string {
  const driverError = (error as { driverError?: unknown }).driverError;
  return String((driverError as { message?: unknown } | undefined)?.message ?? (error as { message?: unknown }).message ?? error);
}

/**
 * Replaces the engine's error for a statement written in production-only SQL with an
 * {@link UnsupportedSqlError} naming the construct; other errors are returned unchanged.
 */
export function explainEngineError(error: unknown, sql: string, dialect: ProductionDialect): unknown {
  if (typeof error !== "object" || error === null) return error;
  const message = messageOf(error);
  if (!ENGINE_REJECTED.test(message)) return error;
  const code = codeOf(sql, dialect);
  const construct = CONSTRUCTS.find((candidate) => candidate.matches(code));
  // Another dialect's syntax: production rejects it as well, and the engine's syntax error says so.
  if (construct?.only !== undefined && construct.only !== dialect) return error;
  if (construct) return new UnsupportedSqlError(sql, construct.name, construct.advice, error);
  const missing = NO_SUCH_FUNCTION.exec(message);
  if (missing) {
    return new UnsupportedSqlError(
      sql,
      `${missing[1]}()`,
      `The test engine (SQLite) has no such function; ${dialect} does. ${PORTABLE}`,
      error,
    );
  }
  return error;
}
