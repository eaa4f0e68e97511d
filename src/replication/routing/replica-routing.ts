import { InvalidRoutingOptionError } from "../../errors/invalid-routing-option-error";
import type { ReplicaSet } from "../replica-set";
import type { ReplicaSelection } from "./replica-selection";

/**
 * The replica routing of one DataSource, as {@link installReplicaRouting} returns it: which
 * replicas are in rotation and how a replica read picks one. `usePrimary`, `@UsePrimary()` and
 * the pinning scopes need nothing from it; they work on every DataSource it is installed on.
 *
 * @example
 * ```ts
 * const routing = installReplicaRouting(dataSource, { select: "round-robin" });
 * routing.markReplicaDown(1); // replica 1 lags: its reads go to the other replicas
 * routing.markReplicaUp(1);   // back in rotation
 * ```
 */
export class ReplicaRouting {
  /** @internal Created by `installReplicaRouting` and by `SharedReplicationDataSource`. */
  constructor(
    private readonly replicas: ReplicaSet,
    /** Why this DataSource's replicas cannot be chosen here, if they cannot (TypeORM's driver chooses them itself). */
    private readonly selectionUnsupported: string | undefined,
  ) {}

  /** How many replicas the DataSource has (`replication.slaves`, or the simulated replicas), those out of rotation included. */
  get replicaCount(): number {
    return this.replicas.size;
  }

  /** The replicas out of rotation (`markReplicaDown`), ascending. */
  get replicasDown(): readonly number[] {
    return this.replicas.downIndexes();
  }

  /**
   * Changes how replica reads pick their replica (the `select` option). The default is
   * `"round-robin"`.
   *
   * @throws InvalidRoutingOptionError for an unknown strategy, or on a DataSource whose driver chooses replicas itself.
   */
  select(selection: ReplicaSelection): void {
    this.checkSupported("select", selection);
    this.replicas.select(selection);
  }

  /**
   * Takes replica `index` (0-based, as in `replication.slaves`) out of rotation: replica reads go
   * to the other replicas, or to the primary when none is left. Idempotent.
   *
   * @throws InvalidReplicaIndexError when the DataSource has no replica `index`.
   */
  markReplicaDown(index: number): void {
    this.checkSupported("markReplicaDown", index);
    this.replicas.markDown(index);
  }

  /**
   * Puts replica `index` back into rotation. Idempotent.
   *
   * @throws InvalidReplicaIndexError when the DataSource has no replica `index`.
   */
  markReplicaUp(index: number): void {
    this.checkSupported("markReplicaUp", index);
    this.replicas.markUp(index);
  }

  private checkSupported(option: string, value: unknown): void {
    if (this.selectionUnsupported !== undefined) throw new InvalidRoutingOptionError(option, value, this.selectionUnsupported);
  }
}
