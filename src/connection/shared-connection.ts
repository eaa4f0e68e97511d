import type { ConnectionClient } from "./connection-client";
import { ConnectionLock } from "./connection-lock";
import type { TransactionDialect } from "./transaction-dialect";

/** Opens and closes the physical connection: the native driver methods of the DataSource that owns it. */
export interface PhysicalConnection {
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One level of the connection's transaction stack: the outermost `BEGIN`, or a savepoint.
 * `ambient` frames belong to the test harness: they do not hold the connection lock, so every
 * flow of a test runs inside them.
 */
export class TransactionFrame {
  alive = true;

  constructor(
    readonly owner: ConnectionClient,
    readonly depth: number,
    readonly ambient: boolean,
  ) {}

  /** `undefined` for the outermost frame, which is a real transaction. */
  get savepoint(): string | undefined {
    return this.depth === 0 ? undefined : `typeorm_shared_${this.depth}`;
  }
}

/**
 * The one physical connection that every master and replica runner of one or more
 * SharedReplicationDataSources executes on: its turn-taking lock and its transaction stack.
 */
export class SharedConnection {
  readonly lock: ConnectionLock;
  private readonly frames: TransactionFrame[] = [];
  private writes = 0;
  private members = 0;

  constructor(
    readonly dialect: TransactionDialect,
    lockTimeoutMs: number,
    private readonly physical: PhysicalConnection,
  ) {
    this.lock = new ConnectionLock(lockTimeoutMs);
  }

  /** A DataSource starts using the connection; the first one opens it. */
  async attach(): Promise<void> {
    if (this.members === 0) await this.physical.open();
    this.members++;
  }

  /** A DataSource stops using the connection; the last one closes it. */
  async detach(): Promise<void> {
    this.members--;
    if (this.members > 0) return;
    this.frames.length = 0;
    await this.physical.close();
  }

  get depth(): number {
    return this.frames.length;
  }

  /** The frames currently open, outermost first. */
  get openFrames(): readonly TransactionFrame[] {
    return this.frames;
  }

  /** Counts statements that may have changed data, so a test that only read needs no rollback. */
  get writeCount(): number {
    return this.writes;
  }

  noteWrite(): void {
    this.writes++;
  }

  /** Opens a frame on top of the stack and returns it with the SQL that starts it. */
  pushFrame(owner: ConnectionClient, ambient = false): { frame: TransactionFrame; sql: string } {
    const frame = new TransactionFrame(owner, this.frames.length, ambient);
    this.frames.push(frame);
    return { frame, sql: frame.savepoint ? this.dialect.savepoint(frame.savepoint) : this.dialect.begin };
  }

  commitSql(frame: TransactionFrame): string[] {
    return frame.savepoint ? [this.dialect.releaseSavepoint(frame.savepoint)] : [this.dialect.commit];
  }

  /**
   * `ROLLBACK TO` keeps the savepoint open, so it is released as well, to keep the server's stack
   * and ours the same.
   */
  rollbackSql(frame: TransactionFrame): string[] {
    if (!frame.savepoint) return [this.dialect.rollback];
    return [this.dialect.rollbackToSavepoint(frame.savepoint), this.dialect.releaseSavepoint(frame.savepoint)];
  }

  /**
   * Closes `frame` after its COMMIT/ROLLBACK ran (or its start failed). Frames above it were
   * closed by the same statement; their owners are told their transaction is gone.
   */
  closeFrame(frame: TransactionFrame): void {
    const index = this.frames.indexOf(frame);
    if (index < 0) return;
    const removed = this.frames.splice(index);
    for (const discarded of removed) discarded.alive = false;
    for (const discarded of removed) {
      if (discarded !== frame && discarded.owner !== frame.owner) discarded.owner.discardTransaction();
    }
  }
}
