import type { DataSource } from "typeorm";
import type { EngineName } from "typeorm-shared-replication";

/**
 * The in-process engine the library chose for a SharedReplicationDataSource of this Postgres app,
 * read from the options it handed TypeORM: PGlite runs the app's own `postgres` driver, each
 * SQLite engine its own SQLite driver.
 */
export function engineOf(dataSource: DataSource): EngineName {
  switch (dataSource.options.type) {
    case "postgres":
      return "pglite";
    case "sqlite":
      return "sqlite3";
    case "better-sqlite3":
      return "better-sqlite3";
    case "sqljs":
      return "sqljs";
    default:
      throw new Error(`Unexpected driver type for the sample's test DataSource: ${dataSource.options.type}.`);
  }
}

/** One line for the run's output: which engine, and what that means for the app's Postgres SQL. */
export function describeEngine(dataSource: DataSource): string {
  const engine = engineOf(dataSource);
  return engine === "pglite" ? "pglite (real Postgres in process)" : `${engine} (in-memory SQLite, Postgres types emulated)`;
}

/** Whether `@electric-sql/pglite` resolves from the tests (test/support/use-sqlite-engine.ts hides it). */
export function isPgliteInstalled(): boolean {
  try {
    require.resolve("@electric-sql/pglite");
    return true;
  } catch {
    return false;
  }
}
