import type { QueryRunner, ReplicationMode } from "typeorm";

/** Transaction isolation levels TypeORM accepts. */
export type IsolationLevel = "READ UNCOMMITTED" | "READ COMMITTED" | "REPEATABLE READ" | "SERIALIZABLE";

/**
 * A query runner created by a SharedReplicationDataSource. It is a full TypeORM `QueryRunner` of
 * the inner engine's driver, with its own transaction state and release, executing on the one
 * shared connection, and it knows its replication role.
 *
 * @example
 * ```ts
 * const runner = dataSource.createQueryRunner("slave") as SharedQueryRunner;
 * runner.getReplicationMode(); // "slave"
 * runner.replicaIndex;         // 0, 1, … round-robin
 * ```
 */
export interface SharedQueryRunner extends QueryRunner {
  /** Id of this runner, unique per DataSource; used in the query log and error messages. */
  readonly runnerId: number;
  /** The mode the runner was created with: `"master"` or `"slave"`. */
  readonly role: ReplicationMode;
  /** The replica a `"slave"` runner serves (0-based, round-robin); `undefined` for master runners. */
  readonly replicaIndex: number | undefined;
  /**
   * Where the runner was created (a stack trace), for leak reports. Recorded for runners created
   * while a `TestIsolation` group (any transactional test style) runs on the DataSource; `""` for
   * the others.
   */
  readonly creationSite: string;
}

/** Narrows a TypeORM `QueryRunner` to a {@link SharedQueryRunner}. */
export function isSharedQueryRunner(runner: unknown): runner is SharedQueryRunner {
  return (
    typeof runner === "object" && runner !== null && typeof (runner as SharedQueryRunner).runnerId === "number" && "creationSite" in runner
  );
}
