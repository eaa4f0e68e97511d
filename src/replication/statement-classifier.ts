/** What a statement does, as far as replication and rollback care. */
export type StatementClass = "read" | "write" | "transaction";

const TRANSACTION_KEYWORDS = new Set(["BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"]);
// SET/RESET change session settings, which replicas accept and savepoints do not need to undo.
const READ_KEYWORDS = new Set(["SELECT", "VALUES", "SHOW", "DESCRIBE", "DESC", "TABLE", "SET", "RESET"]);
const MAY_LOCK_OR_WRITE = /\b(FOR|INTO|LOCK)\b/i;
const WRITE_IN_CTE = /\b(INSERT|UPDATE|DELETE|MERGE|REPLACE|UPSERT)\b/;
const LOCKING_OR_INTO = /\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b|\bLOCK\s+IN\s+SHARE\s+MODE\b|\bINTO\b/;
// Quoted identifiers, string literals and comments, so keywords inside them are not mistaken for SQL.
const LITERALS_AND_COMMENTS = /'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|--[^\n]*|\/\*[\s\S]*?\*\//g;
// Reading PRAGMAs (`PRAGMA table_info(…)`) are what TypeORM's SQLite schema reader sends; assigning ones change state.
const PRAGMA_ASSIGNMENT = /^PRAGMA\s+[\w.]+\s*=/;

function firstKeyword(sql: string): string {
  const match = /^[\s(]*([A-Za-z]+)/.exec(sql);
  return match ? match[1]!.toUpperCase() : "";
}

/**
 * Classifies a statement conservatively: anything not known to be a read or transaction control
 * is a write (DDL, DML, `SELECT … FOR UPDATE`, `SELECT … INTO`, data-modifying CTEs, assigning
 * PRAGMAs, SET, …).
 */
export function classifyStatement(sql: string): StatementClass {
  let keyword = firstKeyword(sql);
  if (keyword === "" || sql.trimStart().startsWith("/*") || sql.trimStart().startsWith("--")) {
    sql = sql.replace(LITERALS_AND_COMMENTS, " ");
    keyword = firstKeyword(sql);
  }
  if (TRANSACTION_KEYWORDS.has(keyword)) return "transaction";
  if (keyword === "PRAGMA") return PRAGMA_ASSIGNMENT.test(sql.trim().toUpperCase()) ? "write" : "read";
  if (keyword === "WITH") return WRITE_IN_CTE.test(stripped(sql)) || LOCKING_OR_INTO.test(stripped(sql)) ? "write" : "read";
  if (keyword === "EXPLAIN") return /^\s*EXPLAIN\s+(\(.*ANALY[SZ]E|ANALY[SZ]E)/i.test(sql) ? classifyStatement(explained(sql)) : "read";
  if (!READ_KEYWORDS.has(keyword)) return "write";
  // Most reads mention none of the words that could make them lock or write: skip the full scan.
  if (!MAY_LOCK_OR_WRITE.test(sql)) return "read";
  return LOCKING_OR_INTO.test(stripped(sql)) ? "write" : "read";
}

function stripped(sql: string): string {
  return sql.replace(LITERALS_AND_COMMENTS, " ").toUpperCase();
}

/** The statement an `EXPLAIN ANALYZE` executes. */
function explained(sql: string): string {
  return sql.replace(/^\s*EXPLAIN\s+(\([^)]*\)|ANALY[SZ]E(\s+VERBOSE)?)\s*/i, "");
}
