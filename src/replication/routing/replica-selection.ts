/**
 * What a custom replica selector is told besides the replicas in rotation.
 *
 * @example
 * ```ts
 * const everyThird: ReplicaSelector = (replicas, { sequence }) => replicas[Math.floor(sequence / 3) % replicas.length]!;
 * ```
 */
export interface ReplicaSelectionContext {
  /** How many replicas the DataSource has, those out of rotation included. */
  readonly replicaCount: number;
  /** How many replica reads were routed before this one (0 for the first); counts reads only, not reads sent to the primary. */
  readonly sequence: number;
}

/**
 * Chooses the replica that serves the next replica read: `replicas` are the indexes (as in
 * `replication.slaves`, ascending) of the replicas in rotation, never empty; return one of them.
 * Anything else throws `InvalidReplicaIndexError` from the read.
 *
 * @example
 * ```ts
 * // Prefer replica 1, fall back to whatever is up.
 * const preferSecond: ReplicaSelector = (replicas) => (replicas.includes(1) ? 1 : replicas[0]!);
 * ```
 */
export type ReplicaSelector = (replicas: readonly number[], context: ReplicaSelectionContext) => number;

/**
 * How a replica read picks its replica: `"round-robin"` (each replica in turn, as MySQL's pool
 * cluster does by default), `"random"` (uniformly, as TypeORM's Postgres driver does), or a
 * {@link ReplicaSelector}. Replicas out of rotation (`markReplicaDown`) are skipped by all three.
 *
 * @example
 * ```ts
 * installReplicaRouting(dataSource, { select: "random" });
 * ```
 */
export type ReplicaSelection = "round-robin" | "random" | ReplicaSelector;
