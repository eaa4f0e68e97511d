import { applyEdits, type SqlEdit } from "../../sql/sql-edit";
import { isTrivia, tokenize, type SqlToken } from "../../sql/tokenizer";

/** One object of the master's `main` schema, as `sqlite_master` lists it. */
export interface SchemaObject {
  readonly type: "table" | "index" | "view" | "trigger";
  readonly name: string;
  readonly tableName: string;
  readonly sql: string | null;
}

/** Quotes an SQLite identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.split('"').join('""')}"`;
}

/**
 * The statement that creates `object` in the replica schema `schema`: the master's own DDL, so
 * column types, collations, defaults and indexes are the same and a replica read compares and
 * sorts as the master does, with the object's name qualified and, for tables, the foreign keys
 * removed: a replica applies the master's rows as they are, and cascades or checks of its own
 * would change them. `undefined` for objects a replica does not copy (triggers: a replica
 * applies rows, it does not run the master's triggers again; indexes SQLite creates itself).
 */
export function replicaDefinition(object: SchemaObject, schema: string): string | undefined {
  if (!object.sql || object.type === "trigger") return undefined;
  const tokens = tokenize(object.sql, "sqlite").filter((token) => !isTrivia(token.kind));
  const nameToken = objectNameToken(object.sql, tokens);
  if (!nameToken) return undefined;
  const edits: SqlEdit[] = [
    { start: nameToken.start, end: nameToken.end, text: `${quoteIdentifier(schema)}.${quoteIdentifier(object.name)}` },
  ];
  if (object.type === "table") edits.push(...foreignKeyEdits(object.sql, tokens));
  return applyEdits(object.sql, edits);
}

/** The token naming the object in `CREATE [UNIQUE|TEMP|VIRTUAL] TABLE|INDEX|VIEW [IF NOT EXISTS] name`. */
function objectNameToken(sql: string, tokens: readonly SqlToken[]): SqlToken | undefined {
  const word = (i: number) => (tokens[i]?.kind === "word" ? sql.slice(tokens[i]!.start, tokens[i]!.end).toUpperCase() : "");
  let i = 1;
  while (["UNIQUE", "TEMP", "TEMPORARY", "VIRTUAL"].includes(word(i))) i++;
  if (!["TABLE", "INDEX", "VIEW"].includes(word(i))) return undefined;
  i++;
  if (word(i) === "IF" && word(i + 1) === "NOT" && word(i + 2) === "EXISTS") i += 3;
  // A name written qualified (`main.t`) keeps only its last part.
  if (sql.slice(tokens[i + 1]?.start ?? 0, tokens[i + 1]?.end ?? 0) === ".") {
    return { kind: tokens[i + 2]!.kind, start: tokens[i]!.start, end: tokens[i + 2]!.end };
  }
  return tokens[i];
}

/**
 * Edits removing every foreign key of a `CREATE TABLE`: table constraints `[CONSTRAINT name]
 * FOREIGN KEY (…) REFERENCES …` with the comma before them, and column constraints
 * `[CONSTRAINT name] REFERENCES t [(…)] [ON …] [MATCH …] [[NOT] DEFERRABLE …]`.
 */
function foreignKeyEdits(sql: string, tokens: readonly SqlToken[]): SqlEdit[] {
  const text = (i: number) => (tokens[i] ? sql.slice(tokens[i]!.start, tokens[i]!.end) : "");
  const upper = (i: number) => (tokens[i]?.kind === "word" ? text(i).toUpperCase() : "");
  const open = tokens.findIndex((token) => sql.slice(token.start, token.end) === "(");
  if (open < 0) return [];
  const edits: SqlEdit[] = [];
  let depth = 0;
  let itemStart = open + 1;
  for (let i = open; i < tokens.length; i++) {
    const value = text(i);
    if (value === "(") depth++;
    else if (value === ")") depth--;
    if (depth === 1 && value === ",") itemStart = i + 1;
    if (depth !== 1) continue;
    const constraintStart = upper(i) === "CONSTRAINT" ? i : -1;
    const at = constraintStart >= 0 ? i + 2 : i;
    if (upper(at) === "FOREIGN" && upper(at + 1) === "KEY" && (constraintStart >= 0 ? constraintStart : at) === itemStart) {
      // The whole table constraint, with the comma that separates it from the item before.
      const end = itemEnd(tokens, text, at);
      edits.push({ start: tokens[itemStart - 1]!.start, end: tokens[end - 1]!.end, text: "" });
      i = end - 1;
      continue;
    }
    if (upper(at) === "REFERENCES") {
      const end = referencesEnd(tokens, text, upper, at + 1);
      edits.push({ start: tokens[constraintStart >= 0 ? constraintStart : at]!.start, end: tokens[end - 1]!.end, text: "" });
      i = end - 1;
    }
  }
  return edits;
}

/** The index after the last token of the table-definition item starting at `at` (before its `,` or the closing `)`). */
function itemEnd(tokens: readonly SqlToken[], text: (i: number) => string, at: number): number {
  let depth = 0;
  for (let i = at; i < tokens.length; i++) {
    const value = text(i);
    if (value === "(") depth++;
    else if (value === ")") {
      if (depth === 0) return i;
      depth--;
    } else if (value === "," && depth === 0) return i;
  }
  return tokens.length;
}

/** The index after a foreign-key clause's last token: `t [(…)]` and its ON/MATCH/DEFERRABLE parts. */
function referencesEnd(tokens: readonly SqlToken[], text: (i: number) => string, upper: (i: number) => string, at: number): number {
  let i = at + 1; // the referenced table
  if (text(i) === "(") {
    let depth = 0;
    for (; i < tokens.length; i++) {
      if (text(i) === "(") depth++;
      else if (text(i) === ")" && --depth === 0) break;
    }
    i++;
  }
  for (;;) {
    if (upper(i) === "ON" && (upper(i + 1) === "DELETE" || upper(i + 1) === "UPDATE")) {
      i += 2;
      if (upper(i) === "SET") i += 2;
      else if (upper(i) === "NO") i += 2;
      else i += 1;
    } else if (upper(i) === "MATCH") i += 2;
    else if (upper(i) === "NOT" && upper(i + 1) === "DEFERRABLE") i += 2;
    else if (upper(i) === "DEFERRABLE") i += 1;
    else if (upper(i) === "INITIALLY") i += 2;
    else return i;
  }
}
