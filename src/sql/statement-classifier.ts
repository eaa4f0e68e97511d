import { controlWord, readTransactionControlWords } from "./transaction-control";
import { isTrivia, SqlScanner, stringValue, unquoteIdentifier, type SqlDialect, type SqlTokenKind } from "./tokenizer";

/**
 * What a statement does, as far as replication and rollback care: `"write"` is anything a hot
 * standby or a read-only replica refuses; `"transaction"` is transaction control, one statement
 * alone (which `readTransactionControl` reads) or among other statements of one string
 * (which it does not: that is never the application's own transaction control, and the executor
 * does not run it); `"read"` is everything else.
 */
export type StatementClass = "read" | "write" | "transaction";

/**
 * A statement's class before the session is known: a transaction start that asks for read-write
 * mode is transaction control a read-only session refuses; transaction control among other
 * statements of one string is not the application's own, and a replica refuses the string if
 * one of them writes.
 */
type Verdict = StatementClass | "read-write-transaction" | "control-with-read" | "control-with-write";

/** A token of one statement: whitespace and comments left out. */
interface Token {
  readonly kind: SqlTokenKind;
  readonly start: number;
  readonly end: number;
  /** Upper-cased for words; the text of operators and punctuation; "" for the rest. */
  readonly text: string;
}

/** The tokens `from` (inclusive) to `to` (exclusive) of a statement, and what the rules need to read them. */
class Statement {
  constructor(
    readonly sql: string,
    readonly family: SqlDialect,
    readonly tokens: readonly Token[],
    readonly from: number,
    readonly to: number,
  ) {}

  sub(from: number, to: number): Statement {
    return new Statement(this.sql, this.family, this.tokens, from, to);
  }

  /** The upper-cased word at `i`, or "" when `i` is no word (or outside the statement). */
  word(i: number): string {
    const token = i < this.to ? this.tokens[i] : undefined;
    return token?.kind === "word" ? token.text : "";
  }

  /** Whether the token at `i` is the operator or punctuation `text`. */
  is(i: number, text: string): boolean {
    const token = i < this.to ? this.tokens[i] : undefined;
    return token !== undefined && token.text === text && token.kind !== "word";
  }

  /** Whether the words from `i` on are `words`. */
  words(i: number, ...words: string[]): boolean {
    return words.every((word, n) => this.word(i + n) === word);
  }

  kind(i: number): SqlTokenKind | undefined {
    return i < this.to ? this.tokens[i]?.kind : undefined;
  }

  raw(i: number): string {
    const token = this.tokens[i]!;
    return this.sql.slice(token.start, token.end);
  }

  /** The index of the `)` that closes the `(` at `open`, or -1. */
  closing(open: number): number {
    let depth = 0;
    for (let i = open; i < this.to; i++) {
      if (this.is(i, "(")) depth++;
      else if (this.is(i, ")") && --depth === 0) return i;
    }
    return -1;
  }

  /** The first index from `i` on, outside parentheses, whose word is one of `words`, or -1. */
  find(i: number, ...words: string[]): number {
    let depth = 0;
    for (let k = i; k < this.to; k++) {
      if (this.is(k, "(")) depth++;
      else if (this.is(k, ")")) depth--;
      else if (depth === 0 && words.includes(this.word(k))) return k;
    }
    return -1;
  }
}

type Rule = (statement: Statement, keyword: number) => Verdict;

const read: Rule = () => "read";
const inFamily =
  (families: readonly SqlDialect[], rule: Rule): Rule =>
  (s, k) =>
    families.includes(s.family) ? rule(s, k) : "write";

/**
 * Functions a hot standby refuses because they write or need a transaction id (Postgres: sequence
 * updates, notifications, large objects, WAL), or a read-only transaction refuses (MariaDB's
 * sequences). Advisory locks (`pg_advisory_lock`, `pg_advisory_xact_lock`, MySQL's `GET_LOCK`) are
 * not among them: a standby and a read-only replica take them.
 */
const WRITING_FUNCTIONS: Readonly<Record<SqlDialect, ReadonlySet<string>>> = {
  postgres: new Set([
    "NEXTVAL",
    "SETVAL",
    "TXID_CURRENT",
    "PG_CURRENT_XACT_ID",
    "PG_NOTIFY",
    "LO_CREATE",
    "LO_CREAT",
    "LO_IMPORT",
    "LO_FROM_BYTEA",
    "LO_PUT",
    "LO_UNLINK",
    "PG_SWITCH_WAL",
    "PG_CREATE_RESTORE_POINT",
    "PG_LOGICAL_EMIT_MESSAGE",
  ]),
  mysql: new Set(["NEXTVAL", "SETVAL"]),
  sqlite: new Set(),
};

// Postgres' parse_bool spellings of false (any unique prefix of "false"; "of"/"off"; "n"/"no"; 0).
const FALSE_SETTINGS = new Set(["F", "FA", "FAL", "FALS", "FALSE", "OF", "OFF", "N", "NO", "0"]);
const READ_ONLY_SETTINGS = new Set(["TRANSACTION_READ_ONLY"]);

function isFalseSetting(s: Statement, i: number): boolean {
  const kind = s.kind(i);
  if (kind === "word" || kind === "number") return FALSE_SETTINGS.has(s.raw(i).toUpperCase());
  if (kind === "string") return FALSE_SETTINGS.has(stringValue(s.raw(i), s.family).trim().toUpperCase());
  return false;
}

/** Whether the tokens from `i` to `to` ask for read-write mode: `READ WRITE` among transaction modes. */
function asksReadWrite(s: Statement, i: number, to = s.to): boolean {
  for (let k = i; k < to; k++) if (s.words(k, "READ", "WRITE")) return true;
  return false;
}

/**
 * A query (`SELECT`, `VALUES`, `TABLE`, a cursor's query, MySQL's `DO` and `SET` expressions):
 * a read unless it locks rows, creates a table (Postgres `SELECT … INTO`), writes a file (MySQL
 * `INTO OUTFILE`), hides a data-modifying statement in parentheses, or calls a writing function.
 */
function query(s: Statement, from = s.from): Verdict {
  const writing = WRITING_FUNCTIONS[s.family];
  for (let k = from; k < s.to; k++) {
    const kind = s.kind(k);
    const opensCall = s.is(k + 1, "(");
    if (kind === "quoted-identifier") {
      // Postgres: "nextval"('s') is the same function; a quoted name is case-sensitive.
      const name = unquoteIdentifier(s.raw(k));
      if (opensCall && s.family === "postgres" && name === name.toLowerCase() && writing.has(name.toUpperCase())) return "write";
      continue;
    }
    if (kind !== "word") continue;
    const word = s.word(k);
    switch (word) {
      case "FOR":
        // FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE: row locks a standby cannot take.
        if (
          s.word(k + 1) === "UPDATE" ||
          s.word(k + 1) === "SHARE" ||
          s.words(k + 1, "NO", "KEY", "UPDATE") ||
          s.words(k + 1, "KEY", "SHARE")
        )
          return "write";
        break;
      case "LOCK":
        if (s.words(k + 1, "IN", "SHARE", "MODE")) return "write";
        break;
      case "INTO":
        // Postgres' SELECT … INTO creates a table; MySQL's INTO @variable is a read, INTO OUTFILE writes a file.
        if (s.family !== "mysql" || s.kind(k + 1) !== "variable") return "write";
        break;
      case "NEXT":
        if (s.words(k + 1, "VALUE", "FOR")) return "write";
        break;
      case "INSERT":
      case "UPDATE":
      case "DELETE":
      case "MERGE":
        // A data-modifying statement in parentheses (not MySQL's INSERT() string function).
        if (s.is(k - 1, "(") && k - 1 >= s.from && !opensCall) return "write";
        break;
    }
    if (!opensCall) continue;
    if (writing.has(word)) return "write";
    if (word === "SET_CONFIG" && setsReadWrite(s, k + 2)) return "write";
  }
  return "read";
}

/** `set_config('transaction_read_only', 'off', …)`: the function form of `SET transaction_read_only = off`. */
function setsReadWrite(s: Statement, i: number): boolean {
  if (s.kind(i) !== "string" || !s.is(i + 1, ",")) return false;
  return READ_ONLY_SETTINGS.has(stringValue(s.raw(i), s.family).trim().toUpperCase()) && isFalseSetting(s, i + 2);
}

/** The statement's verdict, whatever it is, as a read or a write. */
function readOrWrite(s: Statement): "read" | "write" {
  return statementVerdict(s) === "read" ? "read" : "write";
}

const MAIN_VERBS = new Set(["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE"]);

/** `WITH [RECURSIVE] name [(columns)] AS [NOT] [MATERIALIZED] (body), … main`: every body and the main statement. */
const withQuery: Rule = (s, keyword) => {
  let k = keyword + 1;
  if (s.word(k) === "RECURSIVE") k++;
  for (;;) {
    if (s.kind(k) !== "word" && s.kind(k) !== "quoted-identifier") return "write";
    k++;
    if (s.is(k, "(")) {
      k = s.closing(k) + 1;
      if (k === 0) return "write";
    }
    if (s.word(k) !== "AS") return "write";
    k++;
    if (s.word(k) === "NOT") k++;
    if (s.word(k) === "MATERIALIZED") k++;
    const close = s.is(k, "(") ? s.closing(k) : -1;
    if (close < 0) return "write";
    if (readOrWrite(s.sub(k + 1, close)) === "write") return "write";
    k = close + 1;
    // Postgres' SEARCH … SET … and CYCLE … SET … USING … clauses of a recursive query.
    while (k < s.to && !s.is(k, ",") && !MAIN_VERBS.has(s.word(k)) && !s.is(k, "(")) k++;
    if (!s.is(k, ",")) break;
    k++;
  }
  return k < s.to ? readOrWrite(s.sub(k, s.to)) : "read";
};

const DML_VERBS = new Set(["INSERT", "UPDATE", "DELETE", "REPLACE"]);

/**
 * EXPLAIN runs the statement only with ANALYZE (Postgres, MySQL 8); SQLite's EXPLAIN never runs
 * it. MySQL and MariaDB refuse to explain a write in a READ ONLY transaction all the same (they
 * open its tables for writing), so there `EXPLAIN stmt` is stmt; `EXPLAIN table` describes it.
 */
const explain: Rule = (s, keyword) => {
  if (s.family === "sqlite") return "read";
  let k = keyword + 1;
  let analyze = false;
  if (s.family === "postgres" && s.is(k, "(")) {
    const close = s.closing(k);
    if (close < 0) return "write";
    for (let option = k + 1; option < close; option++) {
      if ((s.word(option) === "ANALYZE" || s.word(option) === "ANALYSE") && (s.is(option - 1, "(") || s.is(option - 1, ","))) {
        analyze = s.is(option + 1, ",") || s.is(option + 1, ")") || !isFalseSetting(s, option + 1);
      }
    }
    k = close + 1;
  }
  for (;;) {
    const word = s.word(k);
    if (word === "ANALYZE" || word === "ANALYSE") analyze = true;
    else if (word === "FORMAT" && s.family === "mysql") k += s.is(k + 1, "=") ? 2 : 1;
    else if (word !== "VERBOSE" && word !== "EXTENDED" && word !== "PARTITIONS") break;
    k++;
  }
  const explainsStatement = s.is(k, "(") || RULES.has(s.word(k)) || DML_VERBS.has(s.word(k));
  return analyze || (s.family === "mysql" && explainsStatement) ? readOrWrite(s.sub(k, s.to)) : "read";
};

/**
 * SET and RESET change the session, which replicas allow, except read-write mode on Postgres (a
 * standby refuses `SET TRANSACTION READ WRITE` and `transaction_read_only = off`) and, in MySQL,
 * server-wide settings (`SET GLOBAL`, `SET PERSIST`), passwords and default roles (written to the
 * server's grant tables). MariaDB's `SET STATEMENT … FOR stmt` is its statement.
 */
const set: Rule = (s, keyword) => {
  const k = keyword + 1;
  if (s.family === "postgres") {
    const scope = s.word(k) === "SESSION" || s.word(k) === "LOCAL" ? k + 1 : k;
    if (s.word(scope) === "TRANSACTION" || s.words(scope, "CHARACTERISTICS", "AS", "TRANSACTION")) {
      return asksReadWrite(s, scope) ? "write" : "read";
    }
    const name = s.kind(scope) === "quoted-identifier" ? unquoteIdentifier(s.raw(scope)).toUpperCase() : s.word(scope);
    const assigns = s.word(scope + 1) === "TO" || s.is(scope + 1, "=");
    return assigns && READ_ONLY_SETTINGS.has(name) && isFalseSetting(s, scope + 2) ? "write" : "read";
  }
  if (s.family !== "mysql") return "read";
  if (s.word(k) === "STATEMENT") {
    const forAt = s.find(k + 1, "FOR");
    return forAt < 0 ? "write" : readOrWrite(s.sub(forAt + 1, s.to));
  }
  if (s.word(k) === "PASSWORD" || s.words(k, "DEFAULT", "ROLE")) return "write";
  // A read_only replica takes SET TRANSACTION READ WRITE (only START TRANSACTION READ WRITE needs a privilege there).
  if (s.word(k + (s.word(k) === "TRANSACTION" ? 0 : 1)) === "TRANSACTION") {
    const scope = s.word(k);
    return scope === "GLOBAL" || scope === "PERSIST" || scope === "PERSIST_ONLY" ? "write" : "read";
  }
  let assignment = k;
  while (assignment < s.to) {
    const scope = s.word(assignment);
    if (scope === "GLOBAL" || scope === "PERSIST" || scope === "PERSIST_ONLY") return "write";
    const at = scope === "SESSION" || scope === "LOCAL" ? assignment + 1 : assignment;
    const target = s.kind(at) === "variable" ? s.raw(at).toUpperCase() : s.word(at);
    if (["@@GLOBAL.", "@@PERSIST.", "@@PERSIST_ONLY."].some((prefix) => target.startsWith(prefix))) return "write";
    const comma = nextComma(s, at);
    if (comma < 0) break;
    assignment = comma + 1;
  }
  return query(s, k);
};

/** The index of the next `,` outside parentheses from `i` on, or -1. */
function nextComma(s: Statement, i: number): number {
  let depth = 0;
  for (let k = i; k < s.to; k++) {
    if (s.is(k, "(")) depth++;
    else if (s.is(k, ")")) depth--;
    else if (depth === 0 && s.is(k, ",")) return k;
  }
  return -1;
}

/**
 * SQLite's PRAGMAs that only report, without an argument: every other `PRAGMA name`, and every
 * `PRAGMA name = value` and `PRAGMA name(value)`, sets state or does work (`optimize`,
 * `wal_checkpoint`, `incremental_vacuum`, …).
 */
const READING_PRAGMAS = new Set([
  "analysis_limit",
  "application_id",
  "auto_vacuum",
  "automatic_index",
  "busy_timeout",
  "cache_size",
  "cache_spill",
  "cell_size_check",
  "checkpoint_fullfsync",
  "collation_list",
  "compile_options",
  "data_version",
  "database_list",
  "defer_foreign_keys",
  "encoding",
  "foreign_key_check",
  "foreign_keys",
  "freelist_count",
  "fullfsync",
  "function_list",
  "hard_heap_limit",
  "ignore_check_constraints",
  "integrity_check",
  "journal_mode",
  "journal_size_limit",
  "legacy_alter_table",
  "locking_mode",
  "max_page_count",
  "mmap_size",
  "module_list",
  "page_count",
  "page_size",
  "pragma_list",
  "query_only",
  "quick_check",
  "read_uncommitted",
  "recursive_triggers",
  "reverse_unordered_selects",
  "schema_version",
  "secure_delete",
  "soft_heap_limit",
  "synchronous",
  "table_list",
  "temp_store",
  "threads",
  "trusted_schema",
  "user_version",
  "wal_autocheckpoint",
  "writable_schema",
]);

/** The PRAGMAs whose argument names what to report on (TypeORM's SQLite schema reader sends these). */
const READING_PRAGMAS_WITH_ARGUMENT = new Set([
  "table_info",
  "table_xinfo",
  "table_list",
  "index_list",
  "index_info",
  "index_xinfo",
  "foreign_key_list",
  "foreign_key_check",
  "integrity_check",
  "quick_check",
]);

/** `PRAGMA [schema.]name [= value | (value)]`, the name bare, quoted, or a string. */
const pragma: Rule = (s, keyword) => {
  let k = keyword + 1;
  const name = (i: number) => {
    const kind = s.kind(i);
    if (kind === "word") return s.raw(i).toLowerCase();
    if (kind === "quoted-identifier") return unquoteIdentifier(s.raw(i)).toLowerCase();
    if (kind === "string") return stringValue(s.raw(i), "sqlite").toLowerCase();
    return undefined;
  };
  let pragmaName = name(k);
  if (pragmaName !== undefined && s.is(k + 1, ".")) {
    k += 2;
    pragmaName = name(k);
  }
  if (pragmaName === undefined) return "write";
  k++;
  if (k >= s.to) return READING_PRAGMAS.has(pragmaName) ? "read" : "write";
  if (s.is(k, "(") && s.closing(k) === s.to - 1) return READING_PRAGMAS_WITH_ARGUMENT.has(pragmaName) ? "read" : "write";
  return "write";
};

// Postgres: the lock modes a standby grants (LockAcquireExtended refuses the stronger ones in recovery).
const STANDBY_LOCK_MODES = new Set(["ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE"]);

/** Postgres `LOCK [TABLE] … [IN mode MODE]` (ACCESS EXCLUSIVE without IN); MySQL `LOCK TABLES t READ | WRITE, …`. */
const lock: Rule = (s, keyword) => {
  if (s.family === "mysql") {
    if (s.word(keyword + 1) !== "TABLES" && s.word(keyword + 1) !== "TABLE") return "write";
    return s.find(keyword + 2, "WRITE") >= 0 ? "write" : "read";
  }
  if (s.family !== "postgres") return "write";
  const inAt = s.find(keyword + 1, "IN");
  const modeAt = s.find(inAt + 1, "MODE");
  if (inAt < 0 || modeAt < 0) return "write";
  const mode: string[] = [];
  for (let k = inAt + 1; k < modeAt; k++) mode.push(s.word(k));
  return STANDBY_LOCK_MODES.has(mode.join(" ")) ? "read" : "write";
};

/**
 * BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE in a spelling
 * {@link readTransactionControlWords} reads; a transaction start asking for read-write mode is
 * refused by a read-only session. Anything else starting with these words (Postgres `COMMIT
 * PREPARED`, MySQL `START REPLICA`, a stray `END IF`) is not transaction control: a write.
 */
const transaction: Rule = (s, keyword) => {
  if (keyword !== s.from) return "write";
  const words: string[] = [];
  for (let k = s.from; k < s.to; k++) {
    if (s.is(k, ",")) continue;
    const word = controlWord(s.kind(k)!, s.raw(k));
    if (word === undefined) return "write";
    words.push(word);
  }
  const reading = readTransactionControlWords(words, s.family);
  if (!reading) return "write";
  return reading.control.kind === "begin" && asksReadWrite(s, s.from) ? "read-write-transaction" : "transaction";
};

/** Postgres `PREPARE TRANSACTION 'id'` writes (two-phase commit); `PREPARE name AS stmt` and MySQL `PREPARE name FROM 'stmt'` are their statement. */
const prepare: Rule = (s, keyword) => {
  if (s.family === "postgres") {
    if (s.word(keyword + 1) === "TRANSACTION" && s.kind(keyword + 2) === "string") return "write";
    const as = s.find(keyword + 1, "AS");
    return as < 0 ? "write" : readOrWrite(s.sub(as + 1, s.to));
  }
  if (s.family !== "mysql") return "write";
  const from = s.find(keyword + 1, "FROM");
  if (from < 0 || s.kind(from + 1) !== "string" || from + 2 !== s.to) return "write";
  const prepared = classifyText(stringValue(s.raw(from + 1), "mysql"), "mysql");
  return prepared === "read" ? "read" : "write";
};

/** MySQL `ANALYZE TABLE` (a read_only replica and a read-only transaction run it); MariaDB `ANALYZE stmt` runs stmt. */
const analyze: Rule = (s, keyword) => {
  if (s.family !== "mysql") return "write";
  let k = keyword + 1;
  if (s.word(k) === "NO_WRITE_TO_BINLOG" || s.word(k) === "LOCAL") k++;
  if (s.word(k) === "TABLE") return "read";
  if (s.word(k) === "FORMAT") k += s.is(k + 1, "=") ? 3 : 2;
  return readOrWrite(s.sub(k, s.to));
};

/** Postgres `COPY … FROM` writes; `COPY table TO` and `COPY (query) TO` read, unless the query writes. */
const copy: Rule = (s, keyword) => {
  if (s.family !== "postgres") return "write";
  let k = keyword + 1;
  if (s.is(k, "(")) {
    const close = s.closing(k);
    if (close < 0 || readOrWrite(s.sub(k + 1, close)) === "write") return "write";
    return s.word(close + 1) === "TO" ? "read" : "write";
  }
  while (s.kind(k) === "word" || s.kind(k) === "quoted-identifier" || s.is(k, ".")) {
    if (s.word(k) === "FROM" || s.word(k) === "TO") break;
    k++;
  }
  if (s.is(k, "(")) k = s.closing(k) + 1;
  return s.word(k) === "TO" ? "read" : "write";
};

/**
 * The rule for each statement's first keyword. A keyword not here is a write: DML (INSERT, UPDATE,
 * DELETE, MERGE, REPLACE, UPSERT, LOAD DATA), DDL (CREATE, ALTER, DROP, TRUNCATE, COMMENT, GRANT,
 * REVOKE, RENAME, SECURITY LABEL, REFRESH, REINDEX, CLUSTER, OPTIMIZE, REPAIR), maintenance
 * (VACUUM, ANALYZE outside MySQL), ATTACH, DETACH, LISTEN, NOTIFY, and statements whose effects the
 * guard cannot see (Postgres DO, CALL, EXECUTE).
 */
const RULES = new Map<string, Rule>([
  ["SELECT", (s) => query(s)],
  ["VALUES", (s) => query(s)],
  ["TABLE", (s) => query(s)],
  ["WITH", withQuery],
  ["SHOW", read],
  ["DESCRIBE", read],
  ["DESC", read],
  ["EXPLAIN", explain],
  ["SET", set],
  // MySQL's RESET (MASTER, REPLICA, QUERY CACHE) acts on the server; Postgres' RESET on the session.
  ["RESET", (s) => (s.family === "mysql" ? "write" : "read")],
  ["PRAGMA", pragma],
  ["LOCK", lock],
  ["UNLOCK", inFamily(["mysql"], read)],
  ["BEGIN", transaction],
  ["START", transaction],
  ["COMMIT", transaction],
  ["END", transaction],
  ["ROLLBACK", transaction],
  ["ABORT", transaction],
  ["SAVEPOINT", transaction],
  ["RELEASE", transaction],
  // Cursors, prepared statements, notifications and the session, which a standby keeps per session.
  ["DECLARE", inFamily(["postgres"], (s) => query(s))],
  ["FETCH", inFamily(["postgres", "mysql"], read)],
  ["MOVE", inFamily(["postgres"], read)],
  ["CLOSE", inFamily(["postgres", "mysql"], read)],
  ["PREPARE", prepare],
  ["DEALLOCATE", inFamily(["postgres", "mysql"], read)],
  ["DISCARD", inFamily(["postgres"], read)],
  ["UNLISTEN", inFamily(["postgres"], read)],
  ["LOAD", inFamily(["postgres"], read)],
  ["USE", inFamily(["mysql"], read)],
  ["ANALYZE", analyze],
  ["CHECK", inFamily(["mysql"], (s, k) => (s.word(k + 1) === "TABLE" ? "read" : "write"))],
  ["CHECKSUM", inFamily(["mysql"], (s, k) => (s.word(k + 1) === "TABLE" ? "read" : "write"))],
  // MySQL's DO evaluates expressions; Postgres' DO runs a code block the guard cannot see into.
  ["DO", inFamily(["mysql"], (s) => query(s))],
  ["COPY", copy],
]);

function statementVerdict(s: Statement): Verdict {
  let k = s.from;
  while (k < s.to && s.is(k, "(")) k++;
  if (k >= s.to) return "read";
  const rule = s.kind(k) === "word" ? RULES.get(s.word(k)) : undefined;
  return rule ? rule(s, k) : "write";
}

function significant(scanner: SqlScanner): Token {
  const kind = scanner.kind;
  const text = kind === "word" ? scanner.text().toUpperCase() : kind === "operator" || kind === "punctuation" ? scanner.text() : "";
  return { kind, start: scanner.start, end: scanner.end, text };
}

/** Whether the scanner's token is the word BEGIN, without upper-casing every word. */
function isBegin(scanner: SqlScanner): boolean {
  return scanner.kind === "word" && scanner.end - scanner.start === 5 && scanner.text().toUpperCase() === "BEGIN";
}

/** A single statement whose first keyword has no rule: a write (DML, DDL), whatever follows (see {@link classifyText}). */
function writesByFirstKeyword(sql: string, family: SqlDialect): boolean {
  if (sql.includes(";")) return false;
  const scanner = new SqlScanner(sql, family);
  while (scanner.next()) {
    if (isTrivia(scanner.kind)) continue;
    return scanner.kind === "word" && !RULES.has(significant(scanner).text);
  }
  return false;
}

/**
 * The verdict on every statement of `sql`. A statement whose first keyword has no rule is a write
 * without reading it further, and a text without `;` has no other statement, so a bulk INSERT is
 * not tokenized to its end. The `;` inside a CREATE's `BEGIN … END` body (a Postgres `BEGIN
 * ATOMIC` function, a SQLite trigger, a MySQL routine) end nothing: the body belongs to the CREATE.
 */
function classifyText(sql: string, family: SqlDialect): Verdict {
  const scanner = new SqlScanner(sql, family);
  const single = !sql.includes(";");
  let tokens: Token[] = [];
  let statements = 0;
  let first: Verdict = "read";
  let writes = false;
  let control = false;
  let more = true;
  while (more) {
    more = false;
    // A statement known to write from its first keyword: only where it ends matters.
    let writing = false;
    let create = false;
    let body = false;
    while (scanner.next()) {
      const kind = scanner.kind;
      if (isTrivia(kind)) continue;
      if (kind === "separator" && !body) {
        more = true;
        break;
      }
      if (create && isBegin(scanner)) body = true;
      if (writing) continue;
      const token = significant(scanner);
      if (tokens.length === 0 && kind === "word" && !RULES.has(token.text)) {
        if (single) return "write";
        writing = true;
        create = token.text === "CREATE";
      }
      tokens.push(token);
    }
    if (tokens.length === 0) continue;
    const verdict = writing ? "write" : statementVerdict(new Statement(sql, family, tokens, 0, tokens.length));
    if (verdict === "write" && single) return "write";
    if (verdict === "write" || verdict === "read-write-transaction") writes = true;
    if (verdict === "transaction" || verdict === "read-write-transaction") control = true;
    if (statements === 0) first = verdict;
    statements++;
    tokens = [];
  }
  if (statements <= 1) return first;
  if (control) return writes ? "control-with-write" : "control-with-read";
  return writes ? "write" : "read";
}

// Classification runs on every statement; applications send the same few hundred texts over and over.
const CACHE_LIMIT = 512;
const CACHEABLE_LENGTH = 8_192;
const caches: Readonly<Record<SqlDialect, Map<string, Verdict>>> = { postgres: new Map(), mysql: new Map(), sqlite: new Map() };

function sessionClass(verdict: Verdict, readOnly: boolean): StatementClass {
  switch (verdict) {
    case "read-write-transaction":
    case "control-with-write":
      return readOnly ? "write" : "transaction";
    case "control-with-read":
      return "transaction";
    default:
      return verdict;
  }
}

/**
 * Classifies every statement of `sql` as `family`'s server reads it, following what a Postgres hot
 * standby and a MySQL/MariaDB `read_only` replica or READ ONLY transaction refuse: DML, DDL,
 * locking reads, `SELECT … INTO`, data-modifying CTEs, `EXPLAIN ANALYZE` of a write, writing
 * functions (`nextval`, `setval`, …), strong table locks, `NOTIFY`/`LISTEN`, two-phase commit,
 * read-write mode, PRAGMAs that set state, `VACUUM`, `ATTACH`, `REINDEX`, `ANALYZE`, and
 * statements whose effects are unknown (`CALL`, `DO`). Literals and comments never count: a
 * `$$…$$` body or an `E'…'` string mentioning DELETE is a read.
 *
 * @param readOnly The session is a replica's: a transaction start asking for read-write mode
 * (`BEGIN READ WRITE`) is then a write, as a standby refuses it; elsewhere it is transaction control.
 * @returns For a multi-statement string: `"write"` if a statement writes and none is transaction
 * control (on a read-only session, whenever one writes); else `"transaction"` if one is
 * transaction control; else `"read"`.
 */
export function classifyStatement(sql: string, family: SqlDialect, readOnly = false): StatementClass {
  const cache = caches[family];
  let verdict = cache.get(sql);
  if (verdict === undefined) {
    // Cheap without the cache, and often one-off texts (bulk INSERTs with their values inline): kept out of it.
    if (writesByFirstKeyword(sql, family)) return "write";
    verdict = classifyText(sql, family);
    if (sql.length <= CACHEABLE_LENGTH) {
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      cache.set(sql, verdict);
    }
  }
  return sessionClass(verdict, readOnly);
}

/** {@link classifyStatement} without its cache: what a statement costs the first time (the benchmark measures both). */
export function classifyStatementUncached(sql: string, family: SqlDialect, readOnly = false): StatementClass {
  return sessionClass(classifyText(sql, family), readOnly);
}
