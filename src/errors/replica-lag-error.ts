import { SharedReplicationError } from "./shared-replication-error";

/** Why a {@link ReplicaLagError} was thrown. */
export type ReplicaLagFailure =
  /** `setReplicaLag` outside a test or a test group: nothing would undo it. */
  | "outside-scope"
  /** Lag had to copy whole tables (switching it on, or after a schema change) while an application transaction was open. */
  | "open-transaction"
  /** A replica read would have read the master's data: a table the replica does not hold yet, or one the library could not route. */
  | "unreplicated-read";

/**
 * Thrown when replica lag cannot do what was asked without showing a replica something a real
 * replica would not: the error says what to do instead.
 *
 * @example
 * ```ts
 * await dataSource.setReplicaLag("manual"); // outside a test or group: ReplicaLagError ("outside-scope")
 * ```
 */
export class ReplicaLagError extends SharedReplicationError {
  /** What went wrong. */
  readonly failure: ReplicaLagFailure;
  /** The replica concerned, when one is. */
  readonly replicaIndex: number | undefined;
  /** The statement concerned, when one is. */
  readonly sql: string | undefined;

  constructor(failure: ReplicaLagFailure, message: string, details: { replicaIndex?: number; sql?: string } = {}) {
    super(message);
    this.failure = failure;
    this.replicaIndex = details.replicaIndex;
    this.sql = details.sql;
  }
}
