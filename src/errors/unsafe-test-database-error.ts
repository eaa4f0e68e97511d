import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown before any statement is sent when a real server engine would run against a database that
 * is not provably a test database: its name lacks the test prefix, the prefix is unsafe, or
 * `NODE_ENV` is `production`. Checked in the constructor and at every connect: before the driver
 * opens a physical connection (where it resolved the connection to go, whatever changed the
 * options: `setOptions()`, a `url`, `extra`, the driver's environment variables), and right after,
 * by asking the server which database it is (the connection is closed if refused).
 *
 * @example
 * ```ts
 * dataSource.setOptions({ database: "prod" });
 * await dataSource.initialize(); // UnsafeTestDatabaseError: … goes to database "prod" instead of "test_app" …
 * ```
 */
export class UnsafeTestDatabaseError extends SharedReplicationError {
  /** The database name that was refused. */
  readonly database: string;

  constructor(database: string, reason: string) {
    super(`Refusing to use database "${database}" for tests: ${reason}`);
    this.database = database;
  }
}
