import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when replica lag (`replicaLag`, `setReplicaLag`) is asked of an engine that cannot give
 * replicas data of their own: the MySQL and MariaDB server engines, which run every role on one
 * session of one database, whose tables exist once. Lag mode runs on the in-memory SQLite engines
 * (`sqlite3`, `better-sqlite3`, `sqljs`), for applications of every type, and on PGlite and
 * Postgres servers, for Postgres applications.
 *
 * @example
 * ```ts
 * new SharedReplicationDataSource(mysqlOptions, { engine: { type: "mysql", database: "test_app" }, replicaLag: "manual" });
 * // ReplicaLagUnavailableError: use an in-memory engine for the tests that need lag
 * ```
 */
export class ReplicaLagUnavailableError extends SharedReplicationError {
  /** The engine that was asked for lag, e.g. `"postgres"`. */
  readonly engine: string;

  constructor(engine: string) {
    super(
      `Replica lag is not available on the "${engine}" engine: it runs master and replicas on one session of one database, ` +
        "whose tables exist once, so no replica can hold older data than the master. " +
        'Run the tests that need lag on a DataSource with an in-memory SQLite engine: set engine: "sqlite3", "better-sqlite3" or "sqljs".',
    );
    this.engine = engine;
  }
}
