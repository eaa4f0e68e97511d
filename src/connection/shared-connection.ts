import type { ConnectionClient } from "./connection-client";
import { ConnectionLock } from "./connection-lock";
import type { TransactionDialect } from "./transaction-dialect";

/** Opens and closes the physical connection: the native driver methods of the DataSource that owns it. */
export interface PhysicalConnection {
  open(): Promise<void>;
  close(): Promise<void>;
}

/** Runs one transaction-control statement on the connection, as the caller (who holds it). */
export type ExecuteControl = (sql: string) => Promise<unknown>;

/**
 * One level of the connection's transaction stack: the outermost `BEGIN`, or a savepoint.
 * `ambient` frames belong to the test harness: they do not hold the connection lock, so every
 * flow of a test runs inside them, and they are opened lazily, right before the first statement
 * that needs them, so a test that only reads costs no statement at all.
 */
export class TransactionFrame {
  /** Position in the stack once opened; -1 while deferred. */
  depth = -1;
  alive = true;

  constructor(
    readonly owner: ConnectionClient,
    readonly ambient: boolean,
  ) {}

  get isOpen(): boolean {
    return this.depth >= 0 && this.alive;
  }

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
  private readonly deferred: TransactionFrame[] = [];
  private members = 0;
  private session: TransactionFrame | undefined;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

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
    this.deferred.length = 0;
    // The server rolls the session transaction back when the connection closes.
    this.session = undefined;
    await this.physical.close();
  }

  /**
   * Opens (lazily, like every ambient frame) the session transaction a persistent database runs
   * in, once per physical connection, so nothing is ever committed to it.
   */
  beginSession(owner: ConnectionClient): void {
    if (this.session?.alive) return;
    this.session = this.deferAmbientFrame(owner);
  }

  /** True when the innermost open frame belongs to the harness: a statement here runs where production would autocommit it. */
  get inAmbientFrame(): boolean {
    return this.frames.length > 0 && this.frames[this.frames.length - 1]!.ambient;
  }

  /** The frames currently open, outermost first. */
  get openFrames(): readonly TransactionFrame[] {
    return this.frames;
  }

  get hasDeferredFrames(): boolean {
    return this.deferred.length > 0;
  }

  /** Registers an ambient frame that {@link openDeferredFrames} opens when first needed. */
  deferAmbientFrame(owner: ConnectionClient): TransactionFrame {
    const frame = new TransactionFrame(owner, true);
    this.deferred.push(frame);
    return frame;
  }

  /** Opens every deferred ambient frame, in order; the caller holds the connection. */
  async openDeferredFrames(execute: ExecuteControl): Promise<void> {
    while (this.deferred.length > 0) {
      const frame = this.deferred[0]!;
      try {
        await execute(this.place(frame));
      } catch (error) {
        this.frames.splice(frame.depth);
        frame.depth = -1;
        throw error;
      }
      this.deferred.shift();
    }
  }

  /** Opens a frame for an application transaction; deferred ambient frames must be open already. */
  pushFrame(owner: ConnectionClient): { frame: TransactionFrame; sql: string } {
    const frame = new TransactionFrame(owner, false);
    return { frame, sql: this.place(frame) };
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
   * Closes `frame` after its COMMIT/ROLLBACK ran, its start failed, or (deferred) it was never
   * needed. Frames above it were closed by the same statement; their owners are told their
   * transaction is gone.
   */
  closeFrame(frame: TransactionFrame): void {
    const pending = this.deferred.indexOf(frame);
    if (pending >= 0) this.deferred.splice(pending);
    const index = this.frames.indexOf(frame);
    if (index < 0) {
      frame.alive = false;
      return;
    }
    const removed = this.frames.splice(index);
    for (const discarded of removed) discarded.alive = false;
    for (const discarded of removed) {
      if (discarded !== frame && discarded.owner !== frame.owner) discarded.owner.discardTransaction();
    }
  }

  /** Called around every statement, so the harness can wait for a dangling one to finish. */
  statementStarted(): void {
    this.inFlight++;
  }

  statementEnded(): void {
    if (--this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves when no statement is executing. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private place(frame: TransactionFrame): string {
    frame.depth = this.frames.length;
    this.frames.push(frame);
    return frame.savepoint ? this.dialect.savepoint(frame.savepoint) : this.dialect.begin;
  }
}
