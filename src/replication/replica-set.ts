import { InvalidReplicaIndexError } from "../errors/invalid-replica-index-error";
import { InvalidRoutingOptionError } from "../errors/invalid-routing-option-error";
import type { ReplicaSelection } from "./routing/replica-selection";

/**
 * The replicas of a DataSource and the choice of one per replica read: by the selection strategy,
 * among the replicas in rotation. A SharedReplicationDataSource simulates its replicas on the
 * master's connection (reads see every write at once, or the replica's own lagging copy: see
 * `LaggingReplicas`); on a production DataSource the driver connects to the replica chosen here.
 */
export class ReplicaSet {
  private cursor = 0;
  private sequence = 0;
  private selection: ReplicaSelection = "round-robin";
  private readonly down = new Set<number>();

  constructor(readonly size: number) {}

  /** Sets the strategy; throws `InvalidRoutingOptionError` for an unknown one. */
  select(selection: ReplicaSelection): void {
    if (selection !== "round-robin" && selection !== "random" && typeof selection !== "function") {
      throw new InvalidRoutingOptionError("select", selection, `"round-robin", "random" or a function (replicas, context) => index`);
    }
    this.selection = selection;
  }

  /**
   * The replica the next replica read goes to; `undefined` when there is none in rotation (no
   * replicas, or every one marked down), and the read goes to the master, as TypeORM's drivers
   * send reads when there are no slaves.
   */
  next(): number | undefined {
    const available = this.available();
    if (available.length === 0) return undefined;
    const sequence = this.sequence++;
    if (this.selection === "random") return available[Math.floor(Math.random() * available.length)];
    if (this.selection === "round-robin") return this.nextInTurn();
    const chosen = this.selection(available, { replicaCount: this.size, sequence });
    if (!available.includes(chosen)) throw new InvalidReplicaIndexError("select", chosen, available.length);
    return chosen;
  }

  /** Takes `index` out of rotation until {@link ReplicaSet.markUp}; idempotent. */
  markDown(index: number): void {
    this.checkIndex("markReplicaDown", index);
    this.down.add(index);
  }

  /** Puts `index` back into rotation; idempotent. */
  markUp(index: number): void {
    this.checkIndex("markReplicaUp", index);
    this.down.delete(index);
  }

  /** The indexes of the replicas out of rotation, ascending. */
  downIndexes(): number[] {
    return [...this.down].sort((a, b) => a - b);
  }

  private available(): number[] {
    const available: number[] = [];
    for (let index = 0; index < this.size; index++) if (!this.down.has(index)) available.push(index);
    return available;
  }

  // The turn moves past replicas out of rotation, so bringing one back does not shift the others' turns.
  private nextInTurn(): number | undefined {
    for (let step = 0; step < this.size; step++) {
      const index = (this.cursor + step) % this.size;
      if (this.down.has(index)) continue;
      this.cursor = (index + 1) % this.size;
      return index;
    }
    return undefined;
  }

  private checkIndex(source: "markReplicaDown" | "markReplicaUp", index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new InvalidReplicaIndexError(source, index, this.size);
  }
}
