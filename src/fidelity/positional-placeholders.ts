import type { SqlEdit } from "../sql/sql-edit";
import type { SqlToken } from "../sql/tokenizer";

/** Numbered placeholders made anonymous: the edits, and which parameter each `?` binds, in order. */
export interface PositionalPlaceholders {
  readonly edits: readonly SqlEdit[];
  readonly order: readonly number[];
}

/**
 * Postgres' numbered placeholders (`$1`, `$2`, …) rewritten as anonymous ones, with the
 * parameters in the order they appear. SQLite reads `$1` as a *named* parameter: sqlite3 and
 * sql.js number named parameters by first appearance (so `$2 … $1` binds the values swapped), and
 * better-sqlite3 binds none of them from an array. Anonymous placeholders bind alike everywhere.
 * Statements with anonymous placeholders already (TypeORM's own for SQLite) or without numbered
 * ones get `undefined`: they are left unchanged, for the engine to report as it does. `tokens` are
 * the statement's, read as Postgres: literals (dollar-quoted ones included), quoted identifiers
 * and comments hold no placeholders, and `a$1` is an identifier.
 */
export function positionalPlaceholders(sql: string, tokens: readonly SqlToken[]): PositionalPlaceholders | undefined {
  const edits: SqlEdit[] = [];
  const order: number[] = [];
  for (const token of tokens) {
    // Postgres reads "?" as (part of) an operator; in a statement TypeORM wrote for SQLite it is a placeholder.
    if (token.kind === "operator" && sql.slice(token.start, token.end).includes("?")) return undefined;
    if (token.kind !== "placeholder") continue;
    const index = Number(sql.slice(token.start + 1, token.end)) - 1;
    if (index < 0) return undefined;
    order.push(index);
    edits.push({ start: token.start, end: token.end, text: "?" });
  }
  return order.length === 0 ? undefined : { edits, order };
}
