import type { ReplicationMode } from "typeorm";

/** What a logged statement was for. */
export type StatementKind = "data" | "transaction";

/** One statement executed through a SharedReplicationDataSource. */
export interface QueryLogEntry {
  /** Role of the runner that sent it: `"master"` or `"slave"` (a replica). */
  readonly role: ReplicationMode;
  /** Index of the replica that served it (0-based), `undefined` for master runners. */
  readonly replicaIndex: number | undefined;
  /**
   * For reads through a replica runner: how many of the master's commits the replica that served
   * it had not applied yet. Always 0 unless replicas lag (the `replicaLag` setting); `undefined`
   * for statements of master runners and writes.
   */
  readonly commitsBehind?: number;
  /** Id of the query runner that sent it; ids are unique per DataSource. */
  readonly runnerId: number;
  /** The SQL as sent to the engine. */
  readonly sql: string;
  /** The bound parameters, if any. */
  readonly parameters: readonly unknown[] | undefined;
  /** Wall-clock duration in milliseconds, including time spent waiting for the connection. */
  readonly durationMs: number;
  /** `"transaction"` for BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE, `"data"` for everything else. */
  readonly kind: StatementKind;
  /** True for statements the test harness issued itself (per-test savepoints and rollbacks). */
  readonly internal: boolean;
  /** The error the statement failed with, if it failed. */
  readonly error?: unknown;
}
