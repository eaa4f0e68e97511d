import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown before any statement is sent when a real server engine would run against a database that
 * is not provably a test database: its name lacks the test prefix, the prefix is empty, or
 * `NODE_ENV` is `production`.
 */
export class UnsafeTestDatabaseError extends SharedReplicationError {
  /** The database name that was refused. */
  readonly database: string;

  constructor(database: string, reason: string) {
    super(`Refusing to use database "${database}" for tests: ${reason}`);
    this.database = database;
  }
}
