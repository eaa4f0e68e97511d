import type { Driver, ObjectLiteral } from "typeorm";
import { IncompatibleTypeOrmError } from "../../errors/incompatible-typeorm-error";

type EscapeQueryWithParameters = (sql: string, parameters: ObjectLiteral, nativeParameters: ObjectLiteral) => [string, unknown[]];

// TypeORM's pattern for a named parameter (AbstractSqliteDriver.escapeQueryWithParameters), so the
// same occurrences are found; `:...name` is its spelling of an array parameter.
const NAMED_PARAMETER = /:(\.\.\.)?([A-Za-z0-9_.]+)/g;

const bindingDrivers = new WeakSet<Driver>();

/** A number node-sqlite3 binds as an INTEGER (sqlite3_bind_int), as SQLite reads the same number written out. */
function isInt32(value: unknown): value is number {
  return typeof value === "number" && (value | 0) === value;
}

/** Whether a parameter would be bound: most statements have one, but those that have none skip the rewrite. */
function hasInt32Value(parameters: ObjectLiteral | undefined): boolean {
  for (const key in parameters) if (isInt32(parameters[key])) return true;
  return false;
}

/**
 * TypeORM's SQLite drivers write a number parameter into the statement's text (`WHERE "id" = 6`),
 * where the Postgres and MySQL drivers of a production application send it as a parameter. Every
 * such statement is then a new text, which no prepared statement can serve. Here the numbers
 * node-sqlite3 binds as SQLite's INTEGER (32-bit integers) are sent as parameters, as production's
 * driver sends them; SQLite reads a bound INTEGER exactly as the same number written out, except
 * as a column position (`ORDER BY 1`), where production's parameter is a constant too. Other
 * numbers (fractions, larger integers, which node-sqlite3 would bind as REAL) stay written out.
 *
 * Each such parameter is handed to TypeORM's own escaping as a one-element array parameter, which it
 * already sends as a parameter.
 */
export function bindIntegerParameters(driver: Driver): void {
  if (bindingDrivers.has(driver)) return;
  // TypeORM 0.3's signature (the only line with the sqlite3 driver); 1.x's Driver declares two parameters.
  const surface = driver as unknown as { escapeQueryWithParameters?: EscapeQueryWithParameters };
  const escapeQuery = surface.escapeQueryWithParameters;
  if (typeof escapeQuery !== "function") throw new IncompatibleTypeOrmError("SqliteDriver.escapeQueryWithParameters to be a function");
  const escape = escapeQuery.bind(driver);
  surface.escapeQueryWithParameters = (sql, parameters, nativeParameters) => {
    if (!hasInt32Value(parameters)) return escape(sql, parameters, nativeParameters);
    let bound: ObjectLiteral | undefined;
    const rewritten = sql.replace(NAMED_PARAMETER, (full: string, spread: string | undefined, key: string) => {
      if (spread || !Object.prototype.hasOwnProperty.call(parameters, key) || !isInt32(parameters[key])) return full;
      bound ??= { ...parameters };
      bound[key] = [parameters[key]];
      return `:...${key}`;
    });
    return bound ? escape(rewritten, bound, nativeParameters) : escape(sql, parameters, nativeParameters);
  };
  bindingDrivers.add(driver);
}
