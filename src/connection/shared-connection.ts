import type { ConnectionClient } from "./connection-client";
import { ConnectionLock } from "./connection-lock";
import type { LaggingReplicas } from "../replication/lag/lagging-replicas";
import type { TransactionDialect } from "./transaction-dialect";

/** Opens and closes the physical connection: the native driver methods of the DataSource that owns it. */
export interface PhysicalConnection {
  open(): Promise<void>;
  close(): Promise<void>;
}

/** Runs one transaction-control statement on the connection, as the caller (who holds it). */
export type ExecuteControl = (sql: string) => Promise<unknown>;

/**
 * How a frame's transaction or savepoint ended, for {@link SharedConnection.closeFrame}:
 * `"released"` and `"not opened"` leave nothing of it on the engine's stack.
 */
export type FrameOutcome = "committed" | "rolled back" | "released" | "not opened";

/** How a frame ends: see {@link SharedConnection.endSql}. */
export interface FrameEnd {
  readonly statements: readonly string[];
  readonly outcome: FrameOutcome;
  /** What to run instead when `statements` fail; without it, the failure is the caller's. */
  readonly ifFailed?: FrameEnd;
}

/**
 * Committed and rolled-back savepoints retained on one level of the stack before they are
 * released in one statement. Bounds the engine's savepoint stack (SQLite checks every open
 * savepoint on each page it writes; Postgres keeps a subtransaction per savepoint).
 */
const MAX_RETAINED_SAVEPOINTS = 16;

/**
 * What a frame is for: the test harness's group or test (`ambient`), an application transaction,
 * or one statement that production would autocommit, on an engine that aborts the transaction on
 * error (see `Engine.abortsTransactionOnError`).
 */
export type FrameKind = "ambient" | "application" | "statement";

/**
 * One level of the connection's transaction stack: the outermost `BEGIN`, or a savepoint.
 * `ambient` frames belong to the test harness: they do not hold the connection lock, so every
 * flow of a test runs inside them, and they are opened lazily, right before the first statement
 * that needs them, so a test that only reads costs no statement at all.
 *
 * A savepoint frame that ended is *retained*: its savepoint stays on the engine's stack instead of
 * being released, because keeping it changes nothing a statement can see (its work is part of the
 * frame below either way) and saves a round trip. The frame below ending removes it with itself.
 */
export class TransactionFrame {
  /** Position in the stack once opened (also while retained); -1 while deferred or gone. */
  depth = -1;
  /** False once the frame's transaction ended (retained or gone). */
  alive = true;
  /**
   * A statement its owner ran in it failed, on an engine that then aborts the whole transaction
   * (Postgres), unless the application recovered with its own savepoint: its end asks the engine.
   */
  failed = false;
  /**
   * A statement its owner ran in it failed, in a Postgres application on an engine that does not
   * abort transactions itself (SQLite): until the owner rolls back, its statements fail as
   * production's would (see `TransactionAbortedError`).
   */
  aborted = false;

  constructor(
    readonly owner: ConnectionClient,
    readonly kind: FrameKind,
  ) {}

  get ambient(): boolean {
    return this.kind === "ambient";
  }

  get isOpen(): boolean {
    return this.depth >= 0 && this.alive;
  }

  /** Ended, but its savepoint is still on the engine's stack. */
  get isRetained(): boolean {
    return this.depth >= 0 && !this.alive;
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
  /**
   * The lagging replicas of the DataSources on this connection: whichever DataSource writes, each
   * of them learns of the commits (see `LaggingReplicas`).
   */
  readonly laggingReplicas = new Set<LaggingReplicas>();

  /** True while lagging replicas of a DataSource on the connection capture its writes (lag mode is on, or was). */
  get capturesForLaggingReplicas(): boolean {
    for (const lag of this.laggingReplicas) if (lag.captures) return true;
    return false;
  }
  /** The engine's transaction stack, outermost first: open frames and retained ones. */
  private readonly frames: TransactionFrame[] = [];
  private readonly deferred: TransactionFrame[] = [];
  private readonly suspended: TransactionFrame[] = [];
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

  /**
   * Restores connection state a rollback does not undo (see `readSessionChange`), each recorded
   * with the harness frame that was innermost when the change was made.
   */
  private readonly sessionChanges: { readonly frame: TransactionFrame; readonly restore: string }[] = [];

  /** Records `restore`, to run when the innermost harness frame (a test's, a group's) ends; outside one, nothing is recorded. */
  recordSessionChange(restore: string): void {
    const frame = [...this.frames, ...this.deferred]
      .reverse()
      .find((candidate) => candidate.ambient && candidate.alive && candidate !== this.session);
    if (frame) this.sessionChanges.push({ frame, restore });
  }

  /** The restores of changes made inside `frame` (or inside frames gone before it), newest first, forgotten here. */
  takeSessionChanges(frame: TransactionFrame): string[] {
    const taken: string[] = [];
    for (let i = this.sessionChanges.length - 1; i >= 0; i--) {
      const change = this.sessionChanges[i]!;
      if (change.frame !== frame && change.frame.alive) continue;
      taken.push(change.restore);
      this.sessionChanges.splice(i, 1);
    }
    return taken;
  }

  /** True while more than one DataSource uses the connection. */
  get isShared(): boolean {
    return this.members > 1;
  }

  /** True while the physical connection is open. */
  get isOpen(): boolean {
    return this.members > 0;
  }

  /** A DataSource starts using the connection; the first one opens it. */
  async attach(): Promise<void> {
    if (this.members === 0) await this.physical.open();
    this.members++;
  }

  /**
   * A DataSource stops using the connection; the last one closes it. Everything that lived on the
   * connection ends with it: transactions, turns and waiters (which fail with `closed`). The test
   * harness's frames still running (a group, a test) are suspended: {@link resume}, once the
   * connection is open again and its schema created, defers them again, so what runs afterwards is
   * still rolled back when they end.
   */
  async detach(closed: (client: ConnectionClient) => Error): Promise<void> {
    this.members--;
    if (this.members > 0) return;
    const harness = [...this.frames.filter((frame) => frame.ambient && frame.alive && frame !== this.session), ...this.deferred];
    for (const frame of this.frames) {
      frame.depth = -1;
      if (!frame.ambient && frame.alive) {
        frame.alive = false;
        frame.owner.discardTransaction();
      }
    }
    this.frames.length = 0;
    this.deferred.length = 0;
    this.suspended.push(...harness.filter((frame) => frame !== this.session));
    // The server rolls the session transaction back when the connection closes.
    this.session = undefined;
    this.lock.reset(closed);
    await this.physical.close();
  }

  /** True while a transaction other than a server's session transaction is open on the engine: a test's, a group's, an application's. */
  get hasOpenTransactionsBesidesSession(): boolean {
    return this.frames.some((frame) => frame.alive && frame !== this.session);
  }

  /** True while a transaction or savepoint is open on the engine. */
  get hasOpenFrames(): boolean {
    return this.frames.length > 0;
  }

  /**
   * Runs `fn` (schema creation) with the deferred ambient frames held back, so its statements are
   * committed instead of opening the test harness's transactions; only while none is open yet.
   */
  async outsideDeferredFrames<T>(fn: () => Promise<T>): Promise<T> {
    if (this.frames.length > 0 || this.deferred.length === 0) return fn();
    const held = this.deferred.splice(0);
    try {
      return await fn();
    } finally {
      this.deferred.unshift(...held);
    }
  }

  /** Defers again the harness frames suspended when the connection closed (see {@link detach}). */
  resume(): void {
    this.deferred.push(...this.suspended.filter((frame) => frame.alive));
    this.suspended.length = 0;
  }

  /**
   * Opens (lazily, like every ambient frame) the session transaction a persistent database runs
   * in, once per physical connection, so nothing is ever committed to it. It goes below every
   * other deferred frame: a test group's, deferred again when the connection was closed under it.
   */
  beginSession(owner: ConnectionClient): void {
    if (this.session?.alive) return;
    this.session = new TransactionFrame(owner, "ambient");
    this.deferred.unshift(this.session);
  }

  /** True while an application's transaction (or savepoint) is open: its work is not committed yet. */
  get hasApplicationFrames(): boolean {
    for (const frame of this.frames) if (frame.alive && frame.kind === "application") return true;
    return false;
  }

  /** How many application transactions and savepoints are open. */
  get applicationDepth(): number {
    let depth = 0;
    for (const frame of this.frames) if (frame.alive && frame.kind === "application") depth++;
    return depth;
  }

  /** The depth of application frame `frame` (1 for the outermost), counting the open ones below it. */
  applicationDepthOf(frame: TransactionFrame): number {
    let depth = 0;
    for (const open of this.frames) {
      if (open.alive && open.kind === "application") depth++;
      if (open === frame) return depth;
    }
    return depth;
  }

  /** The frames currently open, outermost first (retained ones left out). */
  get openFrames(): readonly TransactionFrame[] {
    return this.frames.filter((frame) => frame.alive);
  }

  get hasDeferredFrames(): boolean {
    return this.deferred.length > 0;
  }

  /** Registers an ambient frame that {@link openDeferredFrames} opens when first needed. */
  deferAmbientFrame(owner: ConnectionClient): TransactionFrame {
    const frame = new TransactionFrame(owner, "ambient");
    this.deferred.push(frame);
    return frame;
  }

  /** Opens every deferred ambient frame, in order; the caller holds the connection. */
  async openDeferredFrames(execute: ExecuteControl): Promise<void> {
    while (this.deferred.length > 0) {
      const frame = this.deferred[0]!;
      try {
        for (const sql of this.place(frame)) await execute(sql);
      } catch (error) {
        this.unplace(frame);
        throw error;
      }
      this.deferred.shift();
    }
  }

  /**
   * Opens a frame for an application transaction or a statement; deferred ambient frames must be
   * open already. Run `statements`, then {@link closeFrame} it with `"not opened"` if they fail.
   */
  pushFrame(owner: ConnectionClient, kind: Exclude<FrameKind, "ambient">): { frame: TransactionFrame; statements: string[] } {
    const frame = new TransactionFrame(owner, kind);
    return { frame, statements: this.place(frame) };
  }

  /**
   * How `frame`'s transaction ends: the statements to run (none: the caller still takes its turn on
   * the connection), the outcome to {@link closeFrame} it with once they ran, and what to run
   * instead if they fail. A savepoint's commit sends nothing and `ROLLBACK TO` keeps the savepoint:
   * either way it is retained (see {@link TransactionFrame}). A savepoint in which a statement
   * failed on an engine that aborts the transaction is released, so the engine says whether the
   * application recovered; if not, the application's outermost transaction rolls back instead,
   * as production's COMMIT of an aborted transaction does, and a nested one fails, as its RELEASE
   * does in production.
   */
  endSql(frame: TransactionFrame, how: "commit" | "rollback"): FrameEnd {
    const savepoint = frame.savepoint;
    if (!savepoint) {
      return how === "commit"
        ? { statements: [this.dialect.commit], outcome: "committed" }
        : { statements: [this.dialect.rollback], outcome: "rolled back" };
    }
    const rollBack: FrameEnd = { statements: [this.dialect.rollbackToSavepoint(savepoint)], outcome: "rolled back" };
    if (how === "rollback") return rollBack;
    if (!frame.failed) return { statements: [], outcome: "committed" };
    return {
      statements: [this.dialect.releaseSavepoint(savepoint)],
      outcome: "released",
      ...(this.isOutermostOfItsOwner(frame) ? { ifFailed: rollBack } : {}),
    };
  }

  /**
   * A statement `client` ran failed, on an engine that aborts the transaction: the innermost open
   * frame is marked if the statement was part of it (see {@link needsStatementSavepoint}).
   */
  statementFailed(client: ConnectionClient): void {
    const frame = this.innermostOpenFrame();
    if (frame && !frame.ambient && frame.owner === client) frame.failed = true;
  }

  /** A statement `client` ran failed: its transaction is aborted, as in Postgres (see {@link TransactionFrame.aborted}). */
  abortTransactionOf(client: ConnectionClient): void {
    const frame = this.innermostOpenFrame();
    if (frame && frame.kind === "application" && frame.owner === client) frame.aborted = true;
  }

  /**
   * True when a statement of `client` is one production would run outside any transaction: the
   * innermost open frame is the harness's, or another runner's transaction (whose flow `client`
   * passes through: in production it has a connection of its own).
   */
  needsStatementSavepoint(client: ConnectionClient): boolean {
    const frame = this.innermostOpenFrame();
    return frame !== undefined && (frame.ambient || frame.owner !== client);
  }

  /**
   * Releases the retained savepoints on top of the stack (the statements to run, holding the
   * connection). The application is about to send its own `RELEASE` or `ROLLBACK TO`, which may
   * remove them from the engine's stack behind the library's back.
   */
  releaseRetained(retained = this.retainedOnTop()): string[] {
    if (retained === 0) return [];
    const lowest = this.frames[this.frames.length - retained]!;
    const release = this.dialect.releaseSavepoint(lowest.savepoint!);
    for (const released of this.frames.splice(lowest.depth)) released.depth = -1;
    return [release];
  }

  /**
   * Closes `frame` after the statements of {@link endSql} ran, or when it never reached
   * the engine (its start failed, or it was deferred and never needed). Open frames above it ended
   * with it; their owners are told their transaction is gone.
   */
  closeFrame(frame: TransactionFrame, outcome: FrameOutcome): void {
    const pending = this.deferred.indexOf(frame);
    if (pending >= 0) this.deferred.splice(pending);
    const suspended = this.suspended.indexOf(frame);
    if (suspended >= 0) this.suspended.splice(suspended);
    const index = this.frames.indexOf(frame);
    frame.alive = false;
    if (index < 0) return;
    const above = this.frames.slice(index + 1);
    if (outcome === "not opened" || outcome === "released" || frame.depth === 0) this.unplace(frame);
    else if (outcome === "rolled back") {
      // ROLLBACK TO removed every savepoint above this one from the engine's stack.
      for (const removed of this.frames.splice(index + 1)) removed.depth = -1;
    }
    for (const ended of above) {
      if (!ended.alive) continue;
      ended.alive = false;
      if (ended.owner !== frame.owner) ended.owner.discardTransaction();
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

  private innermostOpenFrame(below = this.frames.length): TransactionFrame | undefined {
    for (let i = below - 1; i >= 0; i--) if (this.frames[i]!.alive) return this.frames[i];
    return undefined;
  }

  /** True when the open frame below `frame` is not its owner's: in production, `frame` is a BEGIN. */
  private isOutermostOfItsOwner(frame: TransactionFrame): boolean {
    return this.innermostOpenFrame(frame.depth)?.owner !== frame.owner;
  }

  private retainedOnTop(): number {
    let retained = 0;
    while (retained < this.frames.length && this.frames[this.frames.length - 1 - retained]!.isRetained) retained++;
    return retained;
  }

  /**
   * Puts `frame` on top of the stack and returns the statements that open it there: `SAVEPOINT`
   * or `BEGIN`, after a `RELEASE` of the retained savepoints on top once there are
   * {@link MAX_RETAINED_SAVEPOINTS} of them.
   *
   * A savepoint rolled back to is never taken over for a new frame, though it marks the same
   * state: SQLite keeps its sub-journal until a RELEASE, so every later ROLLBACK TO it would
   * replay all the tests before (measured: twice the time per test after 1,000 tests).
   */
  private place(frame: TransactionFrame): string[] {
    const retained = this.retainedOnTop();
    const statements = retained >= MAX_RETAINED_SAVEPOINTS ? this.releaseRetained(retained) : [];
    frame.depth = this.frames.length;
    this.frames.push(frame);
    statements.push(frame.savepoint ? this.dialect.savepoint(frame.savepoint) : this.dialect.begin);
    return statements;
  }

  /** Takes `frame` and everything above it off the stack: they are not (or no longer) on the engine's. */
  private unplace(frame: TransactionFrame): void {
    if (frame.depth < 0 || this.frames[frame.depth] !== frame) return;
    for (const removed of this.frames.splice(frame.depth)) removed.depth = -1;
  }
}
