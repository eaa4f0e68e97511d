import type { Driver, QueryRunner, ReplicationMode } from "typeorm";
import { TransactionNotStartedError } from "typeorm";
import { enterNewFlow, currentFlow, type Flow } from "../connection/async-flow";
import type { ConnectionClient } from "../connection/connection-client";
import type { Lease } from "../connection/connection-lock";
import type { FrameEnd, TransactionFrame } from "../connection/shared-connection";
import { QueryRunnerReleasedError } from "../errors/query-runner-released-error";
import { ReplicaWriteError } from "../errors/replica-write-error";
import type { StatementKind } from "../query-log/query-log-entry";
import { classifyStatement } from "../replication/statement-classifier";
import type { RunnerContext } from "./runner-context";
import type { IsolationLevel, SharedQueryRunner } from "./shared-query-runner";

/** The driver's own QueryRunner class (e.g. TypeORM's SqliteQueryRunner). */
export type NativeRunnerClass = new (driver: Driver, mode: ReplicationMode) => QueryRunner;

// Typed as a plain symbol: 1.x's QueryRunner type declares the method (so it would need
// `override`), 0.3's does not (where `override` is an error); the runner compiles against both.
const ASYNC_DISPOSE: symbol = Symbol.asyncDispose;
const RAW_TRANSACTION_CONTROL = /^\s*(BEGIN|START\s+TRANSACTION|BEGIN\s+TRANSACTION|COMMIT|ROLLBACK)\s*;?\s*$/i;
// The application's own RELEASE or ROLLBACK TO, which may remove savepoints the library retains.
const ENDS_SAVEPOINTS = /^\s*(RELEASE|ROLLBACK)\b/i;
// What TypeORM's transaction methods send besides BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE: the isolation level.
const TRANSACTION_SETTING = /^\s*(SET\s+TRANSACTION\b|PRAGMA\s+read_uncommitted\b)/i;
const NO_ROWS = (): unknown[] => [];

/** How {@link SharedReplicationQueryRunner.execute} runs a statement. */
interface ExecuteOptions {
  readonly kind: StatementKind;
  /** May change data or the savepoint stack: deferred ambient frames are opened first. */
  readonly write?: boolean;
  /** Issued by the test harness: logged as internal. */
  readonly internal?: boolean;
  /** The application's own RELEASE or ROLLBACK TO: retained savepoints on top are released first. */
  readonly endsSavepoints?: boolean;
}

// Shared, so the statement path allocates no options object per query.
const READ: ExecuteOptions = { kind: "data" };
const WRITE: ExecuteOptions = { kind: "data", write: true };
const CONTROL: ExecuteOptions = { kind: "transaction" };
// A raw SAVEPOINT opens the test's savepoint first, so the application's sits above it.
const RAW_SAVEPOINT: ExecuteOptions = { kind: "transaction", write: true };
const RAW_SAVEPOINT_END: ExecuteOptions = { kind: "transaction", write: true, endsSavepoints: true };

/**
 * Builds the runner class for one driver: the driver's own runner (so every schema and query
 * method behaves as TypeORM wrote it) with its own transaction state and release, taking turns on
 * the shared connection. The engine's single connection is shared by construction: the native
 * runner asks the driver for it.
 */
/** A runner as the library itself sees it: the public interface plus what the harness and the lock use. */
export interface SharedReplicationQueryRunner extends SharedQueryRunner, ConnectionClient {
  /** Runs a statement of the test harness's own: logged as internal, never guarded. */
  executeInternal(sql: string, kind?: StatementKind): Promise<unknown>;
}

export type SharedReplicationQueryRunnerClass = new (
  driver: Driver,
  role: ReplicationMode,
  replicaIndex: number | undefined,
) => SharedReplicationQueryRunner;

export function defineSharedQueryRunner(Native: NativeRunnerClass, context: RunnerContext): SharedReplicationQueryRunnerClass {
  const connection = context.connection;

  return class SharedReplicationQueryRunner extends Native implements SharedReplicationQueryRunner {
    readonly runnerId = context.nextRunnerId();
    private readonly site: { stack?: string } = {};
    private readonly ownFrames: TransactionFrame[] = [];
    private lease: Lease | undefined;
    private flow: Flow | undefined;
    private releasedReason: string | undefined;
    private nativeReleased = false;
    /**
     * Inside this runner's startTransaction/commitTransaction/rollbackTransaction: TypeORM's own
     * implementations run and send their statements through `query()`, as on every TypeORM runner,
     * and those statements are taken as the transaction protocol (see {@link protocolStatement}).
     */
    private controlling = 0;

    constructor(
      driver: Driver,
      readonly role: ReplicationMode,
      readonly replicaIndex: number | undefined,
    ) {
      super(driver, role);
      context.prepareRunner?.(this);
      if (context.isolatedGroups > 0) {
        // Deep enough to reach application code below TypeORM's own frames in leak reports.
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 16;
        Error.captureStackTrace(this.site, SharedReplicationQueryRunner);
        Error.stackTraceLimit = limit;
      }
      context.openRunners.add(this);
    }

    /** Formatted on first read only: capturing a stack is cheap, formatting it is not. */
    get creationSite(): string {
      return (this.site.stack ?? "").split("\n").slice(1).join("\n");
    }

    describe(): string {
      const replica = this.replicaIndex === undefined ? "" : `, replica ${this.replicaIndex}`;
      return `query runner #${this.runnerId} (${this.role}${replica})`;
    }

    override getReplicationMode(): ReplicationMode {
      return this.role;
    }

    // Not async: TypeORM awaits connect() before every statement, and a wrapper would add a promise.
    override connect(): Promise<unknown> {
      if (this.isReleased) return Promise.reject(this.releasedError("connect"));
      return super.connect();
    }

    override async release(): Promise<void> {
      if (this.nativeReleased) return;
      this.nativeReleased = true;
      context.openRunners.delete(this);
      // The native release returns early on a released runner, yet must run once to hand the
      // connection back (Postgres' closePool loops until every connected runner has done so).
      Object.assign(this, { isReleased: false });
      try {
        await super.release();
      } finally {
        Object.assign(this, { isReleased: true });
        this.releasedReason ??= "it was released";
      }
    }

    /**
     * `await using` (TypeORM 1.x, and 0.3 on Node.js with `Symbol.asyncDispose`): as 1.x does,
     * commits the runner's open transaction in one go, savepoints included, then releases it. Only
     * the runner's own frames are committed; the test's ambient transaction below them is never
     * touched. 1.x's inherited version would commit the top frame only and leave the rest open.
     */
    async [ASYNC_DISPOSE](): Promise<void> {
      try {
        if (this.isTransactionActive && this.ownFrames.length > 0) {
          // Committing the outermost own frame ends the ones above it with it.
          this.ownFrames.splice(1);
          this.depth = 1;
          await this.commitTransaction();
        }
      } finally {
        await this.release();
      }
    }

    fence(reason: string): void {
      this.endTransactionState();
      this.depth = 0;
      Object.assign(this, { isReleased: true });
      this.releasedReason = reason;
      context.openRunners.delete(this);
    }

    override query(query: string, parameters: unknown[] | undefined, useStructuredResult: true): Promise<any>;
    override query(query: string, parameters?: unknown[]): Promise<any>;
    // Not async, so a statement costs one promise less; errors are returned as rejections all the same.
    override query(query: string, parameters?: unknown[], useStructuredResult?: boolean): Promise<any> {
      try {
        return this.dispatch(query, parameters, useStructuredResult);
      } catch (error) {
        return Promise.reject(error);
      }
    }

    private dispatch(query: string, parameters: unknown[] | undefined, useStructuredResult: boolean | undefined): Promise<any> {
      this.assertUsable("query");
      const statement = classifyStatement(query);
      if (this.controlling > 0 && (statement === "transaction" || TRANSACTION_SETTING.test(query))) return this.protocolStatement(query);
      // Only a runner a replica serves is guarded: without replicas TypeORM serves "slave" runners from the master.
      if (statement === "write" && this.replicaIndex !== undefined && !context.allowReplicaWrites) {
        throw new ReplicaWriteError(query, this.role, this.replicaIndex, this.runnerId);
      }
      if (statement !== "transaction") return this.execute(query, parameters, useStructuredResult, statement === "write" ? WRITE : READ);
      if (RAW_TRANSACTION_CONTROL.test(query)) return this.rawTransactionControl(query);
      return this.execute(query, parameters, useStructuredResult, ENDS_SAVEPOINTS.test(query) ? RAW_SAVEPOINT_END : RAW_SAVEPOINT);
    }

    executeInternal(sql: string, kind: StatementKind = "transaction"): Promise<unknown> {
      this.assertUsable("query");
      return this.execute(sql, undefined, false, { kind, write: kind === "data", internal: true });
    }

    /**
     * TypeORM's own `startTransaction` runs, with its isolation-level rules and events, and sends
     * `BEGIN`/`START TRANSACTION` or `SAVEPOINT typeorm_N` through `query()`, where
     * {@link protocolStatement} opens the transaction on the shared connection.
     */
    override async startTransaction(isolationLevel?: IsolationLevel): Promise<void> {
      this.assertUsable("startTransaction");
      const outermost = this.ownFrames.length === 0;
      // Synchronously, before the first await: the caller's continuation joins the new flow.
      const flow = outermost ? enterNewFlow() : this.flow;
      let level: IsolationLevel | undefined;
      try {
        level = context.isolation.levelFor(isolationLevel);
      } catch (error) {
        if (outermost) flow?.end();
        throw error;
      }
      if (outermost) this.flow = flow;
      this.controlling++;
      try {
        await super.startTransaction(level);
      } catch (error) {
        if (this.ownFrames.length === 0) this.endTransactionState();
        throw error;
      } finally {
        this.controlling--;
      }
    }

    override async commitTransaction(): Promise<void> {
      await this.runProtocol("commitTransaction", () => super.commitTransaction());
    }

    override async rollbackTransaction(): Promise<void> {
      await this.runProtocol("rollbackTransaction", () => super.rollbackTransaction());
    }

    discardTransaction(): void {
      for (let i = this.ownFrames.length - 1; i >= 0; i--) {
        if (!this.ownFrames[i]!.alive) this.ownFrames.splice(i, 1);
      }
      this.depth = this.ownFrames.length;
      if (this.ownFrames.length === 0) this.endTransactionState();
    }

    private async runProtocol(method: string, native: () => Promise<void>): Promise<void> {
      this.assertUsable(method);
      this.controlling++;
      try {
        await native();
      } finally {
        this.controlling--;
      }
    }

    /** TypeORM's nesting depth (protected on its runners): 0 outside a transaction, 1 in it, 2 in a savepoint, … */
    private get depth(): number {
      return (this as unknown as { transactionDepth: number }).transactionDepth;
    }

    private set depth(value: number) {
      (this as unknown as { transactionDepth: number }).transactionDepth = value;
    }

    /**
     * A statement TypeORM's transaction methods sent through `query()`. The library runs the
     * transaction on the shared connection itself (the test's savepoint sits below it, and its own
     * savepoint names), so what it opens or ends is decided by this runner's frames, not by the
     * statement's spelling. `SET TRANSACTION` is not sent: the engine's transaction below the
     * application's is open already, and the level cannot change inside it.
     */
    private protocolStatement(sql: string): Promise<unknown> {
      const keyword = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase();
      if (keyword === "BEGIN" || keyword === "START" || keyword === "SAVEPOINT") return this.openOwnFrame().then(NO_ROWS);
      if (keyword === "COMMIT" || keyword === "RELEASE") return this.endOwnFrame("commit").then(NO_ROWS);
      if (keyword === "ROLLBACK") return this.endOwnFrame("rollback").then(NO_ROWS);
      if (keyword === "SET") return Promise.resolve([]);
      return this.execute(sql, undefined, false, CONTROL);
    }

    private async openOwnFrame(): Promise<void> {
      if (this.ownFrames.length === 0) this.lease = await connection.lock.acquire(this, "transaction", this.flow);
      // The test's savepoint must sit below the application's transaction.
      if (connection.hasDeferredFrames) await connection.openDeferredFrames(this.runControl);
      const { frame, statements } = connection.pushFrame(this, "application");
      try {
        for (const sql of statements) await this.execute(sql, undefined, false, CONTROL);
      } catch (error) {
        connection.closeFrame(frame, "not opened");
        throw error;
      }
      this.ownFrames.push(frame);
    }

    private async endOwnFrame(how: "commit" | "rollback"): Promise<void> {
      const frame = this.ownFrames[this.ownFrames.length - 1];
      if (!frame?.alive) throw new TransactionNotStartedError();
      await this.endFrame(frame, connection.endSql(frame, how));
      this.ownFrames.pop();
      if (this.ownFrames.length === 0) this.endTransactionState();
    }

    private async endFrame(frame: TransactionFrame, end: FrameEnd): Promise<void> {
      try {
        // A commit that sends nothing still waits for work nested in the transaction to end first.
        if (end.statements.length === 0) await this.takeTurn();
        for (const sql of end.statements) await this.execute(sql, undefined, false, CONTROL);
      } catch (error) {
        if (!end.ifFailed) throw error;
        return this.endFrame(frame, end.ifFailed);
      }
      connection.closeFrame(frame, end.outcome);
    }

    /** Waits until this runner may use the connection, as a statement does, and lets it go again. */
    private async takeTurn(): Promise<void> {
      const lease = await connection.lock.acquire(this, "statement", currentFlow());
      if (lease) connection.lock.release(lease);
    }

    private endTransactionState(): void {
      Object.assign(this, { isTransactionActive: false });
      this.ownFrames.length = 0;
      if (this.lease) connection.lock.release(this.lease);
      this.lease = undefined;
      this.flow?.end();
      this.flow = undefined;
    }

    private async rawTransactionControl(query: string): Promise<unknown[]> {
      const keyword = query.trim().toUpperCase();
      if (keyword.startsWith("COMMIT")) await this.commitTransaction();
      else if (keyword.startsWith("ROLLBACK")) await this.rollbackTransaction();
      else await this.startTransaction();
      return [];
    }

    private async execute(
      sql: string,
      parameters: unknown[] | undefined,
      structured: boolean | undefined,
      options: ExecuteOptions,
    ): Promise<any> {
      const { kind, internal = false } = options;
      const started = performance.now();
      const flow = currentFlow();
      const now = connection.lock.tryAcquire(this, "statement", flow);
      const lease = now === false ? await connection.lock.acquire(this, "statement", flow) : now;
      if (lease) lease.sql = sql;
      try {
        if (options.write && connection.hasDeferredFrames) await connection.openDeferredFrames(this.runControl);
        if (options.endsSavepoints) for (const control of connection.releaseRetained()) await this.runControl(control);
        if (context.statementSavepoints && kind === "data" && connection.needsStatementSavepoint(this)) {
          return await this.runUnderSavepoint(sql, parameters, structured, internal, started);
        }
        return await this.run(sql, parameters, structured, kind, internal, started);
      } finally {
        if (lease) connection.lock.release(lease);
      }
    }

    /**
     * A failed statement aborts a Postgres transaction. One that production would have run on its
     * own (directly in a test, or from another runner passing through an application transaction's
     * flow) gets a savepoint, so an expected error, such as a unique violation a test asserts on,
     * undoes just that statement and the test or the transaction goes on.
     * Like every ended savepoint it is retained, so a statement that succeeds costs one round trip
     * more, not two.
     */
    private async runUnderSavepoint(
      sql: string,
      parameters: unknown[] | undefined,
      structured: boolean | undefined,
      internal: boolean,
      started: number,
    ) {
      const { frame, statements } = connection.pushFrame(this, "statement");
      try {
        for (const control of statements) await this.runControl(control);
      } catch (error) {
        connection.closeFrame(frame, "not opened");
        throw error;
      }
      try {
        const result = await this.run(sql, parameters, structured, "data", internal, started);
        connection.closeFrame(frame, "committed");
        return result;
      } catch (error) {
        const undo = connection.endSql(frame, "rollback");
        try {
          for (const control of undo.statements) await this.runControl(control);
        } finally {
          connection.closeFrame(frame, undo.outcome);
        }
        throw error;
      }
    }

    /** Runs a harness savepoint statement; the caller already holds the connection. */
    private readonly runControl = (sql: string) => this.run(sql, undefined, false, "transaction", true, performance.now());

    private async run(
      sql: string,
      parameters: unknown[] | undefined,
      structured: boolean | undefined,
      kind: StatementKind,
      internal: boolean,
      started: number,
    ): Promise<any> {
      connection.statementStarted();
      let error: unknown;
      let statement = { sql, parameters };
      let sent = false;
      try {
        if (context.translateStatement) statement = context.translateStatement(sql, parameters);
        sent = true;
        return await (structured
          ? super.query(statement.sql, statement.parameters, true)
          : super.query(statement.sql, statement.parameters));
      } catch (failure) {
        // statementSavepoints: the engine aborts the transaction on error (see RunnerContext).
        if (sent && context.statementSavepoints) connection.statementFailed(this);
        const reported = context.statementError ? context.statementError(failure, statement.sql, statement.parameters) : failure;
        error = context.translateError ? context.translateError(reported, sql) : reported;
        throw error;
      } finally {
        connection.statementEnded();
        context.log.record({
          role: this.role,
          replicaIndex: this.replicaIndex,
          runnerId: this.runnerId,
          sql,
          parameters,
          durationMs: performance.now() - started,
          kind,
          internal,
          ...(error === undefined ? {} : { error }),
        });
      }
    }

    private assertUsable(method: string): void {
      if (this.isReleased) throw this.releasedError(method);
    }

    private releasedError(method: string): QueryRunnerReleasedError {
      return new QueryRunnerReleasedError(this.runnerId, this.role, method, this.releasedReason);
    }
  };
}
