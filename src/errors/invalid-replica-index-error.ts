import { SharedReplicationError } from "./shared-replication-error";

/** Where a rejected replica index came from: a selector's result, or the method it was passed to. */
export type ReplicaIndexSource = "select" | "markReplicaDown" | "markReplicaUp" | "syncReplicas";

/**
 * Thrown when a replica index is not one of the DataSource's replicas: a custom `select` function
 * returned something other than one of the indexes it was given, or `markReplicaDown(index)`,
 * `markReplicaUp(index)` or `syncReplicas(index)` named a replica the DataSource does not have. Replicas are numbered
 * from 0 in the order of `replication.slaves`.
 *
 * @example
 * ```ts
 * installReplicaRouting(dataSource, { select: () => 7 }); // the next replica read throws InvalidReplicaIndexError
 * routing.markReplicaDown(2); // with two slaves: InvalidReplicaIndexError
 * ```
 */
export class InvalidReplicaIndexError extends SharedReplicationError {
  /** The rejected index, as given or returned. */
  readonly index: unknown;
  /** How many indexes were valid: the replicas in rotation for a selector, all replicas otherwise. */
  readonly count: number;
  /** Who produced the index: `"select"` (the selector's result), `"markReplicaDown"`, `"markReplicaUp"` or `"syncReplicas"`. */
  readonly source: "select" | "markReplicaDown" | "markReplicaUp" | "syncReplicas";

  constructor(source: "select" | "markReplicaDown" | "markReplicaUp" | "syncReplicas", index: unknown, count: number) {
    super(
      source === "select"
        ? `The replica selector returned ${String(index)}, which is not one of the ${count} replica indexes it was given. ` +
            `Return one of the indexes in its first argument (the replicas in rotation, numbered as in replication.slaves).`
        : `${source}(${String(index)}): the DataSource has ${count} replica${count === 1 ? "" : "s"}` +
            `${count > 0 ? `, numbered 0 to ${count - 1} in the order of replication.slaves` : ""}. Pass one of those indexes.`,
    );
    this.index = index;
    this.count = count;
    this.source = source;
  }
}
