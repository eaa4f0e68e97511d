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

/** What a read names that a replica's schema may hold: tables and views of the master's `main` schema. */
export interface ReplicaNames {
  /** Lower-cased names of the tables and views the replica holds. */
  readonly replicated: ReadonlySet<string>;
  /** Lower-cased names of objects of `main` the replica cannot hold (virtual tables): a read of one is refused. */
  readonly unreplicable: ReadonlySet<string>;
}

/** A read rewritten for a replica schema, or why it cannot be. */
export type ReplicaRead = { readonly sql: string } | { readonly refused: string };

/**
 * `sql` (SQLite, as the engine runs it) reading from the attached replica schema `schema` instead
 * of `main`: every table or view the statement reads from (after FROM, JOIN, a comma of a FROM
 * list, or SQLite's `IN table`) and every `main.` qualifier is pointed at the replica. Names a
 * `WITH` clause defines are left alone. The caller checks the compiled program (see
 * {@link ReplicaProgramCheck}), so a reference this misses is an error, never a silent read of the
 * master.
 */
export function replicaRead(sql: string, schema: string, names: ReplicaNames): ReplicaRead {
  const tokens = tokenize(sql, "sqlite").filter((token) => !isTrivia(token.kind));
  const text = (token: SqlToken | undefined) => (token ? sql.slice(token.start, token.end) : "");
  const word = (token: SqlToken | undefined) => (token?.kind === "word" ? text(token).toUpperCase() : "");
  const name = (token: SqlToken) => (token.kind === "quoted-identifier" ? unquoteIdentifier(text(token)) : text(token)).toLowerCase();
  const isName = (token: SqlToken | undefined) => token?.kind === "word" || token?.kind === "quoted-identifier";
  const quotedSchema = `"${schema.split('"').join('""')}"`;
  const cteNames = commonTableExpressionNames(tokens, text, word, name);
  const edits: SqlEdit[] = [];
  // Paren depths at which a FROM clause is open: a comma at that depth starts another table.
  const fromDepths: number[] = [];
  let depth = 0;

  const tableAt = (index: number): string | undefined => {
    const token = tokens[index];
    if (!isName(token) || text(tokens[index + 1]) === "(") return undefined;
    if (text(tokens[index + 1]) === ".") return undefined; // qualified: handled by the `main.` rule
    const table = name(token!);
    if (cteNames.has(table)) return undefined;
    if (names.unreplicable.has(table)) return `the virtual table ${text(token)}, which replicas in lag mode do not hold`;
    if (names.replicated.has(table)) edits.push({ start: token!.start, end: token!.start, text: `${quotedSchema}.` });
    return undefined;
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const value = text(token);
    if (value === "(") depth++;
    else if (value === ")") {
      depth--;
      while (fromDepths.length > 0 && fromDepths[fromDepths.length - 1]! > depth) fromDepths.pop();
    } else if (value === ";") fromDepths.length = 0;
    const keyword = word(token);
    let refused: string | undefined;
    if (keyword === "FROM" || keyword === "JOIN") {
      if (keyword === "FROM" && fromDepths[fromDepths.length - 1] !== depth) fromDepths.push(depth);
      refused = tableAt(i + 1);
    } else if (keyword === "IN" && isName(tokens[i + 1]) && text(tokens[i + 2]) !== "(") {
      refused = tableAt(i + 1);
    } else if (value === "," && fromDepths[fromDepths.length - 1] === depth) {
      refused = tableAt(i + 1);
    } else if (FROM_CLAUSE_ENDS.has(keyword) && fromDepths[fromDepths.length - 1] === depth) {
      fromDepths.pop();
    } else if (isName(token) && name(token) === "main" && text(tokens[i + 1]) === "." && text(tokens[i - 1]) !== ".") {
      edits.push({ start: token.start, end: token.end, text: quotedSchema });
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
