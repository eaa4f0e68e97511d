import { withoutLocks } from "./lock-clause";
import type { ProductionDialect } from "./production-profile";

const UPDATE = /^\s*UPDATE\b/i;
const ASSIGNED_CURRENT_TIMESTAMP = /=\s*CURRENT_TIMESTAMP\b(?!\s*\()/gi;
const NOW_WITH_MILLISECONDS = "strftime('%Y-%m-%d %H:%M:%f', 'now')";

/**
 * The statement the engine runs for one written for production: without locking clauses (the
 * engine serialises writers, so the lock holds), and, for Postgres, with sub-second
 * `CURRENT_TIMESTAMP` in updates. TypeORM sets update- and delete-date columns with
 * `= CURRENT_TIMESTAMP`, which has microseconds in Postgres but whole seconds in SQLite, so an
 * update would seem to happen before the insert. (MySQL's CURRENT_TIMESTAMP has whole seconds too.)
 */
export function engineSql(sql: string, dialect: ProductionDialect): string {
  const unlocked = withoutLocks(sql);
  if (dialect !== "postgres" || !UPDATE.test(unlocked)) return unlocked;
  return unlocked.replace(ASSIGNED_CURRENT_TIMESTAMP, `= ${NOW_WITH_MILLISECONDS}`);
}
