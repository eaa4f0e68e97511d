import { UnsupportedSqlError } from "../errors/unsupported-sql-error";
import type { ProductionDialect } from "./production-profile";

interface Construct {
  readonly pattern: RegExp;
  readonly name: string;
  readonly advice: string;
}

const PORTABLE = "Use the query builder or find options, which generate SQL for the test engine, or write portable SQL.";

/** Production-only syntax, recognised after the engine rejected a statement, to say what went wrong. */
const CONSTRUCTS: readonly Construct[] = [
  { pattern: /::\s*[a-z_]/i, name: "a Postgres cast (::type)", advice: `Use CAST(value AS type). ${PORTABLE}` },
  { pattern: /\bILIKE\b/i, name: "ILIKE", advice: `Use TypeORM's ILike() operator, or LOWER(column) LIKE LOWER(:value).` },
  { pattern: /\bSIMILAR\s+TO\b/i, name: "SIMILAR TO", advice: PORTABLE },
  { pattern: /\bDISTINCT\s+ON\b/i, name: "DISTINCT ON", advice: PORTABLE },
  { pattern: /\bARRAY\s*\[/i, name: "an ARRAY[…] constructor", advice: PORTABLE },
  { pattern: /=\s*ANY\s*\(|\bALL\s*\(\s*\$/i, name: "= ANY(array)", advice: `Use TypeORM's In() operator. ${PORTABLE}` },
  { pattern: /@>|<@|\?\||\?&|#>>?/, name: "a Postgres jsonb/array operator", advice: PORTABLE },
  { pattern: /!?~\*?\s*'/, name: "a Postgres regular expression match", advice: PORTABLE },
  { pattern: /\bINTERVAL\s+'/i, name: "an INTERVAL literal", advice: PORTABLE },
  {
    pattern: /\bON\s+DUPLICATE\s+KEY\s+UPDATE\b/i,
    name: "ON DUPLICATE KEY UPDATE",
    advice: `Use repository.upsert() or orUpdate(). ${PORTABLE}`,
  },
  { pattern: /^\s*INSERT\s+IGNORE\b/i, name: "INSERT IGNORE", advice: `Use orIgnore(). ${PORTABLE}` },
  {
    pattern: /^\s*SET\s+(SESSION\s+|LOCAL\s+)?TRANSACTION\b/i,
    name: "SET TRANSACTION",
    advice: "Pass the isolation level to dataSource.transaction(level, …) or queryRunner.startTransaction(level).",
  },
  {
    pattern: /^\s*SET\s/i,
    name: "a SET statement",
    advice: "Session settings of the production database have no equivalent in the test engine.",
  },
  {
    pattern: /\bSQL_CALC_FOUND_ROWS\b|\bSTRAIGHT_JOIN\b|\b(USE|FORCE|IGNORE)\s+INDEX\b/i,
    name: "MySQL-only select syntax",
    advice: PORTABLE,
  },
];

const ENGINE_REJECTED = /syntax error|no such function|unrecognized token|near "/i;
const NO_SUCH_FUNCTION = /no such function: ([\w.]+)/i;
const LITERALS_AND_COMMENTS = /'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//g;

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
  const code = sql.replace(LITERALS_AND_COMMENTS, " ");
  const construct = CONSTRUCTS.find((candidate) => candidate.pattern.test(code));
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
