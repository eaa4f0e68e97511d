import type { ReplicationMode } from "typeorm";
import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when a statement that writes (INSERT, UPDATE, DELETE, REPLACE, DDL, `SELECT … FOR UPDATE`,
 * …) is sent through a replica (`"slave"`) query runner. Production replicas are read-only and
 * reject such statements, so tests do too. Send the write through a master runner
 * (`dataSource.createQueryRunner("master")`, `manager.save`, `dataSource.transaction`), or set
 * `allowReplicaWrites: true` if your application really writes to replicas.
 */
export class ReplicaWriteError extends SharedReplicationError {
  /** The rejected SQL. */
  readonly sql: string;
  /** The role of the runner the statement was sent through (always `"slave"`). */
  readonly role: ReplicationMode;
  /** Index of the replica that runner serves, if any. */
  readonly replicaIndex: number | undefined;
  /** Id of the runner the statement was sent through. */
  readonly runnerId: number;

  constructor(sql: string, role: ReplicationMode, replicaIndex: number | undefined, runnerId: number) {
    const replica = replicaIndex === undefined ? "" : `, replica ${replicaIndex}`;
    super(
      `A write was sent through a read-only replica runner (runner #${runnerId}, role "${role}"${replica}): ${sql}\n` +
        `Production replicas reject writes. Send it through a master runner (createQueryRunner("master"), ` +
        `manager.save, dataSource.transaction), or set allowReplicaWrites: true in the SharedReplicationDataSource settings.`,
    );
    this.sql = sql;
    this.role = role;
    this.replicaIndex = replicaIndex;
    this.runnerId = runnerId;
  }
}
