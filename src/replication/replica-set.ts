/**
 * The replicas a SharedReplicationDataSource simulates. Today every replica serves reads from the
 * master's connection (reads see every write at once); this is the seam where replicas with a
 * database of their own, lagging until synced, plug in.
 */
export class ReplicaSet {
  private cursor = 0;

  constructor(readonly size: number) {}

  /** Round-robin, like TypeORM's pool cluster: the replica the next replica runner serves. */
  next(): number | undefined {
    if (this.size === 0) return undefined;
    const index = this.cursor;
    this.cursor = (this.cursor + 1) % this.size;
    return index;
  }
}
