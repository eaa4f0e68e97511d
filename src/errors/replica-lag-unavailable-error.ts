import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when replica lag (`replicaLag`, `setReplicaLag`, `syncReplicas`) is asked of an engine
 * that cannot give replicas data of their own: the server engines (Postgres, MySQL/MariaDB) and
 * PGlite run every role on one session of one database, whose tables exist once, so a replica
 * that lags would need a second copy of every table, and reads rewritten to reach it in SQL the
 * library does not rewrite. Lag mode runs on the in-memory SQLite engines (`sqlite3`,
 * `better-sqlite3`, `sqljs`), for applications of every type.
 *
 * @example
 * ```ts
 * new SharedReplicationDataSource(options, { engine: { type: "postgres", database: "test_app" }, replicaLag: "manual" });
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
        'Run the tests that need lag on a DataSource with an in-memory SQLite engine: set engine: "sqlite3", "better-sqlite3" or "sqljs", ' +
        "or give it the replicaLag setting, with which the default engine is one of those.",
    );
    this.engine = engine;
  }
}
