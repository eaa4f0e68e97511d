import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown by `initialize()` of a SharedReplicationDataSource that joins a shared connection
 * (`shareConnectionWith`) while a test group's or a test's transaction is open on it: the schema it
 * would create is part of that transaction and would be rolled back with it, leaving the DataSource
 * initialized without tables. Initialize every DataSource that shares the connection before the
 * tests begin, or set `schema: "none"` when another DataSource creates the tables.
 *
 * @example
 * ```ts
 * before(async () => {
 *   await primary.initialize();
 *   await reporting.initialize(); // shareConnectionWith: primary — before any test group opens
 * });
 * ```
 */
export class SchemaInTransactionError extends SharedReplicationError {
  constructor() {
    super(
      "This SharedReplicationDataSource joins a shared connection while a test group's or a test's transaction is open on it, " +
        "so the schema it would create would be rolled back with that transaction. Initialize every DataSource that shares the " +
        'connection before the test hooks open their transactions, or set schema: "none" when another DataSource creates the tables.',
    );
  }
}
