import { withoutLocks } from "./lock-clause";
import { positionalPlaceholders } from "./positional-placeholders";
import type { ProductionDialect } from "./production-profile";

/** A statement and its parameters as the engine runs them. */
export interface EngineStatement {
  readonly sql: string;
  readonly parameters: unknown[] | undefined;
}

const UPDATE = /^\s*UPDATE\b/i;
const ASSIGNED_CURRENT_TIMESTAMP = /=\s*CURRENT_TIMESTAMP\b(?!\s*\()/gi;
const NOW_WITH_MILLISECONDS = "strftime('%Y-%m-%d %H:%M:%f', 'now')";

/**
 * The statement the engine runs for one written for production: without locking clauses (the
 * engine serialises writers, so the lock holds), and, for Postgres, with its numbered placeholders
 * bound by number and with sub-second `CURRENT_TIMESTAMP` in updates. TypeORM sets update- and
 * delete-date columns with `= CURRENT_TIMESTAMP`, which has microseconds in Postgres but whole
 * seconds in SQLite, so an update would seem to happen before the insert. (MySQL's
 * CURRENT_TIMESTAMP has whole seconds too, and MySQL's `?` placeholders are SQLite's.)
 */
export function engineStatement(sql: string, parameters: unknown[] | undefined, dialect: ProductionDialect): EngineStatement {
  const unlocked = withoutLocks(sql);
  if (dialect !== "postgres") return { sql: unlocked, parameters };
  const bound = positionalPlaceholders(unlocked, parameters);
  if (!UPDATE.test(bound.sql)) return bound;
  return { sql: bound.sql.replace(ASSIGNED_CURRENT_TIMESTAMP, `= ${NOW_WITH_MILLISECONDS}`), parameters: bound.parameters };
}
