import type { Driver, QueryRunner, ReplicationMode } from "typeorm";
import { CallSite } from "../connection/call-site";
import type { ConnectionClient } from "../connection/connection-client";
import type { DriverStream, StatementExecutor } from "../executor/statement-executor";
import { RunnerState, type ExecutorRunner } from "../executor/runner-state";
import type { StatementKind } from "../query-log/query-log-entry";
import { currentTestScope } from "../testing/test-scope";
import type { RunnerContext } from "./runner-context";
import type { IsolationLevel, SharedQueryRunner } from "./shared-query-runner";

/** A subscriber TypeORM shows statements to (`beforeQuery`, `afterQuery`, TypeORM 0.3.18 and later). */
function listensToQueries(subscriber: object): boolean {
  return "beforeQuery" in subscriber || "afterQuery" in subscriber;
}

/** The driver's own QueryRunner class (e.g. TypeORM's SqliteQueryRunner). */
export type NativeRunnerClass = new (driver: Driver, mode: ReplicationMode) => QueryRunner;

// Typed as a plain symbol: 1.x's QueryRunner type declares the method (so it would need
// `override`), 0.3's does not (where `override` is an error); the runner compiles against both.
const ASYNC_DISPOSE: symbol = Symbol.asyncDispose;

/** A runner as the library itself sees it: the public interface plus what the harness and the executor use. */
export interface SharedReplicationQueryRunner extends SharedQueryRunner, ConnectionClient, ExecutorRunner {
  /** Runs a statement of the test harness's own: logged as internal, never guarded or scoped. */
  executeInternal(sql: string, kind?: StatementKind): Promise<unknown>;
  /** Runs a statement that opens or ends one of the connection's transaction frames, as the test harness. */
  executeFrameStatement(sql: string): Promise<unknown>;
}

export type SharedReplicationQueryRunnerClass = new (
  driver: Driver,
  role: ReplicationMode,
  replicaIndex: number | undefined,
) => SharedReplicationQueryRunner;

/** The runner fields TypeORM declares protected or read-only, which the executor sets. */
interface TransactionFields {
  isTransactionActive: boolean;
  isReleased: boolean;
  transactionDepth: number;
}

/**
 * Builds the runner class for one driver: the driver's own runner, so every schema method and
 * every transaction method is TypeORM's, with each statement handed to the executor, the one path
 * to the shared connection. It is built at run time only because its base class is the engine
 * driver's runner class.
 */
export function defineSharedQueryRunner(
  Native: NativeRunnerClass,
  executor: StatementExecutor,
  context: RunnerContext,
): SharedReplicationQueryRunnerClass {
  return class SharedReplicationQueryRunner extends Native implements SharedReplicationQueryRunner {
    readonly runnerId = context.nextRunnerId();
    readonly state = new RunnerState(currentTestScope());
    private readonly site: CallSite | undefined;
    private nativeReleased = false;

    constructor(
      driver: Driver,
      readonly role: ReplicationMode,
      readonly replicaIndex: number | undefined,
    ) {
      super(driver, role);
      context.prepareRunner?.(this);
      // Only leak reports read it, and only a TestIsolation group checks for leaks.
      if (context.isolatedGroups > 0) this.site = new CallSite(SharedReplicationQueryRunner);
      context.openRunners.add(this);
    }

    /** Formatted on first read only: capturing a stack is cheap, formatting it is not. */
    get creationSite(): string {
      return this.site?.toString() ?? "";
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
      try {
        // Not scoped: TypeORM connects before each statement, the harness's too; the statement itself was checked.
        executor.assertUsable(this, "connect", undefined, false);
      } catch (error) {
        return Promise.reject(error);
      }
      return super.connect();
    }

    override async release(): Promise<void> {
      if (this.nativeReleased) return;
      this.nativeReleased = true;
      context.openRunners.delete(this);
      this.state.endStream?.();
      // The native release returns early on a released runner, yet must run once to hand the
      // connection back (Postgres' closePool loops until every connected runner has done so).
      this.fields.isReleased = false;
      try {
        await super.release();
      } finally {
        this.fields.isReleased = true;
        this.state.releasedReason ??= "it was released";
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
        if (this.isTransactionActive && this.state.ownFrames.length > 0) {
          // Committing the outermost own frame ends the ones above it with it.
          this.state.ownFrames.splice(1);
          this.fields.transactionDepth = 1;
          await this.commitTransaction();
        }
      } finally {
        await this.release();
      }
    }

    fence(reason: string): void {
      executor.fence(this, reason);
      this.fields.isReleased = true;
    }

    discardTransaction(): void {
      executor.discard(this);
    }

    setTransactionState(active: boolean, depth?: number): void {
      this.fields.isTransactionActive = active;
      if (depth !== undefined) this.fields.transactionDepth = depth;
    }

    override query(query: string, parameters: unknown[] | undefined, useStructuredResult: true): Promise<any>;
    override query(query: string, parameters?: unknown[]): Promise<any>;
    override query(query: string, parameters?: unknown[], useStructuredResult?: boolean): Promise<any> {
      return executor.query(this, query, parameters, useStructuredResult);
    }

    engineQuery(sql: string, parameters: unknown[] | undefined, structured: boolean | undefined): Promise<any> {
      return structured ? super.query(sql, parameters, true) : super.query(sql, parameters);
    }

    engineControl(sql: string): Promise<unknown> {
      return context.runControl ? context.runControl(this, sql) : super.query(sql);
    }

    announce(sql: string, outcome?: { readonly ms: number; readonly error?: unknown }): Promise<void> | undefined {
      const logger = this.connection.logger;
      if (!outcome) logger.logQuery(sql, undefined, this);
      else if (outcome.error !== undefined) logger.logQueryError(outcome.error as Error, sql, undefined, this);
      // TypeORM's broadcast calls only subscribers with these methods: without one, nothing to wait for.
      if (!this.connection.subscribers.some(listensToQueries)) return undefined;
      const broadcaster = (this as unknown as { broadcaster: { broadcast(event: string, ...args: unknown[]): Promise<void> } }).broadcaster;
      if (!outcome) return broadcaster.broadcast("BeforeQuery", sql, undefined);
      return broadcaster.broadcast("AfterQuery", sql, undefined, outcome.error === undefined, outcome.ms, undefined, outcome.error);
    }

    override stream(
      query: string,
      parameters?: unknown[],
      onEnd?: (...args: unknown[]) => void,
      onError?: (...args: unknown[]) => void,
    ): Promise<any> {
      return executor.stream(this, query, parameters, (sql) => super.stream(sql, parameters, onEnd, onError) as Promise<DriverStream>);
    }

    executeInternal(sql: string, kind: StatementKind = "transaction"): Promise<unknown> {
      return executor.internal(this, sql, kind);
    }

    executeFrameStatement(sql: string): Promise<unknown> {
      return executor.internal(this, sql, "transaction", true);
    }

    /**
     * TypeORM's own `startTransaction` runs, with its isolation-level rules and events, and sends
     * `BEGIN`/`START TRANSACTION` or `SAVEPOINT typeorm_N` through `query()`, where the executor
     * opens the transaction on the shared connection.
     */
    override async startTransaction(isolationLevel?: IsolationLevel): Promise<void> {
      executor.assertUsable(this, "startTransaction");
      const outermost = this.state.ownFrames.length === 0;
      // Synchronously, before the first await: the caller's continuation joins the new flow.
      executor.enterTransactionFlow(this);
      let level: IsolationLevel | undefined;
      try {
        level = context.isolation.levelFor(isolationLevel);
        await executor.controlled(this, "startTransaction", () => super.startTransaction(level));
      } catch (error) {
        if (outermost && this.state.ownFrames.length === 0) {
          executor.endTransactionState(this);
          this.setTransactionState(false, 0);
        }
        throw error;
      }
    }

    override async commitTransaction(): Promise<void> {
      await executor.controlled(this, "commitTransaction", () => super.commitTransaction());
    }

    override async rollbackTransaction(): Promise<void> {
      await executor.controlled(this, "rollbackTransaction", () => super.rollbackTransaction());
    }

    private get fields(): TransactionFields {
      return this as unknown as TransactionFields;
    }
  };
}
