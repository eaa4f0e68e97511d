import { isTrivia, tokenize, unquoteIdentifier, type SqlToken } from "./tokenizer";

/**
 * A statement that changes the SQLite connection's state outside any transaction, so a rollback
 * does not undo it: a PRAGMA that sets a value, or an ATTACH.
 */
export type SessionChange =
  | {
      readonly kind: "pragma";
      /** The pragma as the statement names it, schema included (`main.cache_size`). */
      readonly target: string;
    }
  | { readonly kind: "attach"; readonly alias: string };

/** A statement's words: keywords upper-cased, identifiers unquoted; `undefined` for a multi-statement string. */
function wordsOf(sql: string): { words: string[]; operators: string[] } | undefined {
  const words: string[] = [];
  const operators: string[] = [];
  let ended = false;
  for (const token of tokenize(sql, "sqlite")) {
    if (isTrivia(token.kind)) continue;
    if (ended) return undefined;
    const text = sql.slice(token.start, token.end);
    if (token.kind === "separator") {
      ended = true;
      continue;
    }
    if (token.kind === "word") words.push(text.toUpperCase());
    else if (token.kind === "quoted-identifier" || token.kind === "string") words.push(unquoted(token, text));
    else if (token.kind === "operator" || token.kind === "punctuation") {
      operators.push(text);
      words.push(text);
    } else words.push(text);
  }
  return { words, operators };
}

function unquoted(token: SqlToken, text: string): string {
  return token.kind === "quoted-identifier" ? unquoteIdentifier(text) : text.slice(1, -1).split("''").join("'");
}

/**
 * Reads `sql` as SQLite runs it: the connection-state change it makes, if any. `PRAGMA x = v` and
 * `PRAGMA x(v)` set a pragma (`PRAGMA x` and `PRAGMA table_info(t)`-style reads with a table
 * argument are left to the caller's classification); `ATTACH [DATABASE] file AS alias` attaches.
 *
 * @returns `"multiple"` for a multi-statement string that contains such a change.
 */
export function readSessionChange(sql: string): SessionChange | "multiple" | undefined {
  // Every write is asked. Most never name either keyword (and many are new texts: SQLite's TypeORM
  // writes numbers into its INSERTs), so they are not tokenized at all.
  if (!SESSION_CHANGE_KEYWORD.test(sql)) return undefined;
  // The answer is cached by text, as the classifier's is (statements repeat).
  if (cache.has(sql)) return cache.get(sql);
  const change = readUncached(sql);
  if (sql.length <= CACHEABLE_LENGTH) {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(sql, change);
  }
  return change;
}

// Without either word anywhere in its text, a statement can neither set a pragma nor attach.
const SESSION_CHANGE_KEYWORD = /pragma|attach/i;
const CACHE_LIMIT = 512;
const CACHEABLE_LENGTH = 8192;
const cache = new Map<string, SessionChange | "multiple" | undefined>();

function readUncached(sql: string): SessionChange | "multiple" | undefined {
  const read = wordsOf(sql);
  if (!read) return mentionsSessionChange(sql) ? "multiple" : undefined;
  const { words } = read;
  if (words[0] === "PRAGMA") {
    const schema = words[2] === "." ? `${words[1]}.` : "";
    const nameAt = schema ? 3 : 1;
    const name = words[nameAt];
    const after = words[nameAt + 1];
    if (!name || (after !== "=" && after !== "(")) return undefined;
    if (after === "(" && READING_PRAGMAS.has(name.toLowerCase())) return undefined;
    return { kind: "pragma", target: `${schema}${name.toLowerCase()}` };
  }
  if (words[0] === "ATTACH") {
    const as = words.lastIndexOf("AS");
    const alias = as > 0 ? words[as + 1] : undefined;
    return alias ? { kind: "attach", alias } : undefined;
  }
  return undefined;
}

/** A multi-statement string with a statement starting PRAGMA or ATTACH. */
function mentionsSessionChange(sql: string): boolean {
  let statementStart = true;
  for (const token of tokenize(sql, "sqlite")) {
    if (isTrivia(token.kind)) continue;
    if (token.kind === "separator") {
      statementStart = true;
      continue;
    }
    if (statementStart && token.kind === "word") {
      const word = sql.slice(token.start, token.end).toUpperCase();
      if (word === "PRAGMA" || word === "ATTACH") return true;
    }
    statementStart = false;
  }
  return false;
}

/** Pragmas whose parenthesised argument names a table or index to read, not a value to set. */
const READING_PRAGMAS = new Set([
  "table_info",
  "table_xinfo",
  "table_list",
  "index_info",
  "index_xinfo",
  "index_list",
  "foreign_key_list",
  "foreign_key_check",
  "integrity_check",
  "quick_check",
  "pragma_list",
  "function_list",
  "module_list",
  "collation_list",
  "database_list",
  "compile_options",
]);
