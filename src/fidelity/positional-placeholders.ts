import type { EngineStatement } from "./engine-statement";

// Literals, quoted identifiers and comments are skipped; outside them, a numbered placeholder
// ($1, not part of an identifier such as a$1) or an anonymous one (?).
const TOKENS = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|(?<![\w$])\$(\d+)(?![\w$])|(\?)/g;

/**
 * Postgres' numbered placeholders (`$1`, `$2`, …) rewritten as anonymous ones, with the
 * parameters in the order they appear. SQLite reads `$1` as a *named* parameter: sqlite3 and
 * sql.js number named parameters by first appearance (so `$2 … $1` binds the values swapped), and
 * better-sqlite3 binds none of them from an array. Anonymous placeholders bind alike everywhere.
 * Statements with anonymous placeholders already (TypeORM's own for SQLite), or whose numbers the
 * parameters do not cover, are returned unchanged, for the engine to report as it does.
 */
export function positionalPlaceholders(sql: string, parameters: unknown[] | undefined): EngineStatement {
  if (!parameters || parameters.length === 0 || !sql.includes("$")) return { sql, parameters };
  const order: number[] = [];
  let anonymous = false;
  const rewritten = sql.replace(TOKENS, (token: string, number: string | undefined, question: string | undefined) => {
    if (question !== undefined) anonymous = true;
    if (number === undefined) return token;
    order.push(Number(number) - 1);
    return "?";
  });
  if (order.length === 0 || anonymous || order.some((index) => index < 0 || index >= parameters.length)) return { sql, parameters };
  return { sql: rewritten, parameters: order.map((index) => parameters[index]) };
}
