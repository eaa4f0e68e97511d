import { applyEdits, type SqlEdit } from "../../sql/sql-edit";
import { isTrivia, tokenize, unquoteIdentifier, type SqlToken } from "../../sql/tokenizer";

/** Keywords that end a FROM clause (its commas then no longer separate tables). */
const FROM_CLAUSE_ENDS = new Set([
  "WHERE",
  "GROUP",
  "HAVING",
  "WINDOW",
  "ORDER",
  "LIMIT",
  "UNION",
  "INTERSECT",
  "EXCEPT",
  "RETURNING",
  "SELECT",
  "VALUES",
  "SET",
]);

/** Words that begin a subquery or a table expression inside parentheses, rather than a table name. */
const SUBQUERY_STARTS = new Set(["SELECT", "VALUES", "WITH", "TABLE"]);

/** A read rewritten for a replica, or why it cannot be. */
export type ReplicaRead = { readonly sql: string } | { readonly refused: string };

/** Why a read is refused when the engine's plan shows it reaching the master's data. */
export const UNHELD_TABLE =
  "It reads a table the replica does not hold: one created since the replica's last sync (call syncReplicas()), " +
  "or one the library could not point at the replica (read it through the master).";

/** Where a read's tables go on a replica: the dialect's naming of the replica's copies. */
export interface ReplicaPlacement {
  /** The SQL family of the statement. */
  readonly dialect: "sqlite" | "postgres";
  /** A table or view named without a schema: the text to put before it, why it is refused, or `undefined` to leave it. */
  unqualified(name: string): { readonly prefix: string } | { readonly refused: string } | undefined;
  /** A name `schema.name`: the text to put in place of `schema`, or `undefined` to leave it. */
  qualified(schema: string, name: string): string | undefined;
}

/**
 * `sql` (as the engine runs it) reading from a replica's copies instead of the master's tables:
 * every table or view the statement reads from (after FROM, JOIN, a comma of a FROM list, SQLite's
 * `IN table`, Postgres's `TABLE t`) and every schema-qualified name is pointed at the replica, as
 * `placement` says. Names a `WITH` clause defines are left alone. The caller checks the engine's
 * plan, so a reference this misses is an error, never a silent read of the master.
 */
export function replicaRead(sql: string, placement: ReplicaPlacement): ReplicaRead {
  const postgres = placement.dialect === "postgres";
  const tokens = tokenize(sql, placement.dialect).filter((token) => !isTrivia(token.kind));
  const text = (token: SqlToken | undefined) => (token ? sql.slice(token.start, token.end) : "");
  const word = (token: SqlToken | undefined) => (token?.kind === "word" ? text(token).toUpperCase() : "");
  // Postgres folds unquoted names to lower case and keeps quoted ones; SQLite compares without case.
  const name = (token: SqlToken) =>
    token.kind === "quoted-identifier"
      ? postgres
        ? unquoteIdentifier(text(token))
        : unquoteIdentifier(text(token)).toLowerCase()
      : text(token).toLowerCase();
  const isName = (token: SqlToken | undefined) => token?.kind === "word" || token?.kind === "quoted-identifier";
  const cteNames = commonTableExpressionNames(tokens, text, word, name);
  const edits: SqlEdit[] = [];
  // Paren depths at which a FROM clause is open: a comma at that depth starts another table.
  const fromDepths: number[] = [];
  // Paren depths at which a SELECT began: a FROM elsewhere (`extract(year FROM d)`) names no table.
  const selectDepths: number[] = [];
  let depth = 0;

  const tableAt = (at: number): string | undefined => {
    let index = at;
    // `FROM (a JOIN b ON …)`: a parenthesised join begins with a table; `FROM (SELECT …)` does not.
    while (text(tokens[index]) === "(") index++;
    if (index > at && SUBQUERY_STARTS.has(word(tokens[index]))) return undefined;
    while (postgres && (word(tokens[index]) === "ONLY" || word(tokens[index]) === "LATERAL")) index++;
    const token = tokens[index];
    if (!isName(token) || text(tokens[index + 1]) === "(") return undefined;
    if (text(tokens[index + 1]) === ".") return undefined; // qualified: handled where the schema is met
    const table = name(token!);
    if (cteNames.has(table)) return undefined;
    const placed = placement.unqualified(table);
    if (placed && "refused" in placed) return placed.refused;
    if (placed) edits.push({ start: token!.start, end: token!.start, text: placed.prefix });
    return undefined;
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const value = text(token);
    if (value === "(") depth++;
    else if (value === ")") {
      depth--;
      while (fromDepths.length > 0 && fromDepths[fromDepths.length - 1]! > depth) fromDepths.pop();
      while (selectDepths.length > 0 && selectDepths[selectDepths.length - 1]! > depth) selectDepths.pop();
    } else if (value === ";") fromDepths.length = selectDepths.length = 0;
    const keyword = word(token);
    let refused: string | undefined;
    if (keyword === "SELECT" && selectDepths[selectDepths.length - 1] !== depth) selectDepths.push(depth);
    if ((keyword === "FROM" && selectDepths[selectDepths.length - 1] === depth) || keyword === "JOIN") {
      if (keyword === "FROM" && fromDepths[fromDepths.length - 1] !== depth) fromDepths.push(depth);
      refused = tableAt(i + 1);
    } else if (!postgres && keyword === "IN" && isName(tokens[i + 1]) && text(tokens[i + 2]) !== "(") {
      refused = tableAt(i + 1);
    } else if (
      postgres &&
      keyword === "TABLE" &&
      (i === 0 || ["(", "UNION", "INTERSECT", "EXCEPT", "ALL", "DISTINCT"].includes(word(tokens[i - 1]) || text(tokens[i - 1])))
    ) {
      refused = tableAt(i + 1);
    } else if (value === "," && fromDepths[fromDepths.length - 1] === depth) {
      refused = tableAt(i + 1);
    } else if (FROM_CLAUSE_ENDS.has(keyword) && fromDepths[fromDepths.length - 1] === depth) {
      fromDepths.pop();
    } else if (
      isName(token) &&
      text(tokens[i + 1]) === "." &&
      isName(tokens[i + 2]) &&
      text(tokens[i - 1]) !== "." &&
      text(tokens[i + 3]) !== "("
    ) {
      const schema = placement.qualified(name(token), name(tokens[i + 2]!));
      if (schema !== undefined) edits.push({ start: token.start, end: token.end, text: schema });
    }
    if (refused) return { refused };
  }
  return { sql: applyEdits(sql, edits) };
}

/** The names `WITH` clauses define (`WITH [RECURSIVE] name [(columns)] AS (…), name AS (…)`). */
function commonTableExpressionNames(
  tokens: readonly SqlToken[],
  text: (token: SqlToken | undefined) => string,
  word: (token: SqlToken | undefined) => string,
  name: (token: SqlToken) => string,
): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    if (word(tokens[i]) !== "AS" || text(tokens[i + 1]) === "" || !isCteBodyStart(tokens, i + 1, text, word)) continue;
    // `name AS (` or `name (columns) AS (`.
    let at = i - 1;
    if (text(tokens[at]) === ")") {
      let depth = 0;
      for (; at >= 0; at--) {
        if (text(tokens[at]) === ")") depth++;
        else if (text(tokens[at]) === "(" && --depth === 0) break;
      }
      at--;
    }
    const candidate = tokens[at];
    const before = word(tokens[at - 1]) || text(tokens[at - 1]);
    if (
      candidate &&
      (candidate.kind === "word" || candidate.kind === "quoted-identifier") &&
      (before === "WITH" || before === "RECURSIVE" || before === ",")
    ) {
      names.add(name(candidate));
    }
  }
  return names;
}

function isCteBodyStart(
  tokens: readonly SqlToken[],
  at: number,
  text: (token: SqlToken | undefined) => string,
  word: (token: SqlToken | undefined) => string,
): boolean {
  let i = at;
  if (word(tokens[i]) === "NOT") i++;
  if (word(tokens[i]) === "MATERIALIZED") i++;
  return text(tokens[i]) === "(";
}

/** One row of SQLite's `EXPLAIN`: the opcodes that open a table or index, and the database they open it in. */
interface ExplainRow {
  readonly opcode?: unknown;
  readonly p2?: unknown;
  readonly p3?: unknown;
}

/** Opcodes that open a b-tree for reading; P3 is the database, P2 the root page. */
const OPENS = new Set(["OpenRead", "ReopenIdx", "OpenWrite"]);

/**
 * Whether the compiled program of a rewritten read touches the master's data: SQLite's own
 * `EXPLAIN` names the database of every table and index it opens (`main` is 0, `temp` 1; the
 * schema table, root page 1, is the same on master and replica and may be read).
 */
export function readsMasterData(program: readonly ExplainRow[]): boolean {
  return program.some((row) => OPENS.has(String(row.opcode)) && Number(row.p3) === 0 && Number(row.p2) !== 1);
}
