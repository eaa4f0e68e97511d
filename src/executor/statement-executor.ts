import { QueryFailedError, TransactionNotStartedError } from "typeorm";
import { currentFlow, enterNewFlow } from "../connection/async-flow";
import type { Lease } from "../connection/connection-lock";
import type { FrameEnd, SharedConnection, TransactionFrame } from "../connection/shared-connection";
import { DataSourceDestroyedError } from "../errors/data-source-destroyed-error";
import { DataSourceNotInitializedError } from "../errors/data-source-not-initialized-error";
import { QueryRunnerReleasedError } from "../errors/query-runner-released-error";
import { ReplicaWriteError } from "../errors/replica-write-error";
import { TestEndedError } from "../errors/test-ended-error";
import { UnsupportedSqlError } from "../errors/unsupported-sql-error";
import { TransactionAbortedError } from "../errors/transaction-aborted-error";
import type { StatementKind } from "../query-log/query-log-entry";
import type { RunnerContext } from "../query-runner/runner-context";
import { classifyStatement } from "../sql/statement-classifier";
import { readSessionChange, type SessionChange } from "../sql/session-change";
import { VolatileCalls } from "../sql/postgres-functions";
import { isTrivia, tokenize } from "../sql/tokenizer";
import { readTransactionControl, type TransactionControl } from "../sql/transaction-control";
import { currentTestScope } from "../testing/test-scope";
import type { LagExecution } from "../replication/lag/lagging-replicas";
import { noteWriteForPinning } from "../replication/routing/install-replica-routing";
import type { ExecutorRunner } from "./runner-state";

/** How {@link StatementExecutor.execute} runs a statement. */
interface ExecuteOptions {
  readonly kind: StatementKind;
  /** May change data or the savepoint stack: deferred ambient frames are opened first. */
  readonly write?: boolean;
  /** Issued by the test harness: logged as internal, never guarded or scoped. */
  readonly internal?: boolean;
  /**
   * Changes a setting of the session that a rollback undoes (Postgres's SET): deferred ambient
   * frames are opened first, so the test's rollback undoes it.
   */
  readonly setting?: boolean;
  /** The application's own RELEASE or ROLLBACK TO: retained savepoints on top are released first. */
  readonly endsSavepoints?: boolean;
  /** A transaction frame's own statement (the library's SQL, in the engine's dialect): run by the engine's `runControl`. */
  readonly frame?: boolean;
}

// Shared, so the statement path allocates no options object per query.
const READ: ExecuteOptions = { kind: "data" };
const WRITE: ExecuteOptions = { kind: "data", write: true };
const CONTROL: ExecuteOptions = { kind: "transaction" };
const FRAME: ExecuteOptions = { kind: "transaction", frame: true };
// What TypeORM's transaction methods send that the executor runs as frames of its own (see protocol).
const PROTOCOL_KEYWORDS = new Set(["BEGIN", "START", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK", "SET"]);
const SETTING: ExecuteOptions = { kind: "data", setting: true };
// Postgres statements that change the session's settings, which a rollback (to a savepoint) undoes.
const POSTGRES_SETTING = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(?:SET|RESET)\b|\bset_config\s*\(/i;
// The application's own SAVEPOINT opens the test's savepoint first, so the application's sits above it.
const RAW_SAVEPOINT: ExecuteOptions = { kind: "transaction", write: true };
const RAW_SAVEPOINT_END: ExecuteOptions = { kind: "transaction", write: true, endsSavepoints: true };
// What TypeORM's transaction methods send besides transaction control: the isolation level.
const TRANSACTION_SETTING = /^\s*(SET\s+TRANSACTION\b|PRAGMA\s+read_uncommitted\b)/i;
const NO_ROWS = (): unknown[] => [];
// The test harness's own savepoints (see TransactionFrame.savepoint).
const RESERVED_SAVEPOINT = /^typeorm_shared_\d+$/i;
// Pragmas SQLite lets set but not read: restored to their default.
const WRITE_ONLY_PRAGMA_DEFAULTS: Readonly<Record<string, string>> = { case_sensitive_like: "0" };
const SEND_ALONE = "Send it on its own, so the test harness can undo it when the test ends.";
const UNREAD_CONTROL =
  "Send BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE and ROLLBACK TO each on its own, in a spelling your database documents.";
// Errors of an engine that does not have production's syntax or functions: production would not have failed.
const ENGINE_LIMITATION = /syntax error|no such function|unrecognized token|near "/i;

/** A stream a driver's runner opened (pg-query-stream, mysql2): what the executor listens to and ends. */
export interface DriverStream {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  destroy?(error?: Error): unknown;
}

/**
 * The one path to the shared connection. Every statement of every runner of a DataSource comes
 * through here, whatever sent it: `query()`, TypeORM's own transaction methods, raw transaction
 * control in any spelling, `stream()`, and the test harness's savepoints. It owns what each needs:
 * the lifecycle and test-scope checks, the replica write guard, the turn on the connection, the
 * transaction frames (opened and ended here, never reported back), the engine call and the log.
 */
export class StatementExecutor {
  private readonly volatileCalls = new VolatileCalls();

  constructor(
    readonly connection: SharedConnection,
    private readonly context: RunnerContext,
  ) {}

  /**
   * A statement sent through a runner's `query()`. Not async, so a statement costs one promise
   * less; synchronous failures are returned as rejections all the same.
   */
  query(runner: ExecutorRunner, sql: string, parameters: unknown[] | undefined, structured: boolean | undefined): Promise<any> {
    try {
      this.assertUsable(runner, "query", sql);
      // Nothing but comments: servers answer with no rows (and node-sqlite3 would crash the process on it).
      if (isEmptyStatement(sql, this.context.family)) return Promise.resolve([]);
      const statement = classifyStatement(sql, this.context.family, runner.replicaIndex !== undefined && !this.context.allowReplicaWrites);
      if (runner.state.controlling > 0 && (statement === "transaction" || TRANSACTION_SETTING.test(sql))) return this.protocol(runner, sql);
      if (statement === "transaction") {
        const reading = readTransactionControl(sql, this.context.family);
        if (!reading) {
          // Run as it is, it could end the test's transaction on the engine: never sent.
          throw new UnsupportedSqlError(sql, "transaction control the library cannot read as one statement", UNREAD_CONTROL, undefined);
        }
        return this.applicationControl(runner, reading.control, reading.accepted, sql, parameters, structured);
      }
      // Only a runner a replica serves is guarded: without replicas TypeORM serves "slave" runners from the master.
      if (statement === "write" && runner.replicaIndex !== undefined && !this.context.allowReplicaWrites) {
        throw new ReplicaWriteError(sql, runner.role, runner.replicaIndex, runner.runnerId);
      }
      // Read-your-writes pinning (replicaPinning, withReplicaPinning): a write reached the master.
      if (statement === "write") noteWriteForPinning();
      if (statement !== "read") this.volatileCalls.noteStatement(sql);
      if (statement === "write" && this.context.restoresSessionState) {
        const change = readSessionChange(sql);
        if (change === "multiple") throw new UnsupportedSqlError(sql, "a PRAGMA or ATTACH among several statements", SEND_ALONE, undefined);
        if (change) return this.changeSession(runner, change, sql, parameters, structured);
      }
      return this.execute(
        runner,
        sql,
        parameters,
        structured,
        statement === "write" ? WRITE : statement === "read" ? this.readOptions(sql) : RAW_SAVEPOINT,
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A read; one that changes a setting on a database whose settings a rollback undoes (a
   * persistent Postgres engine, where the session outlives the tests) opens the test's savepoint
   * first, so it is undone with the test.
   */
  private readOptions(sql: string): ExecuteOptions {
    return this.realPostgres && this.connection.hasDeferredFrames && POSTGRES_SETTING.test(sql) ? SETTING : READ;
  }

  /**
   * Whether a read may write: on a persistent Postgres engine, one calling a VOLATILE function of
   * the application's (an INSERT in a function called by SELECT). It then opens the test's
   * savepoint first, as a write does, so the test's rollback undoes what it wrote.
   */
  private async readWrites(runner: ExecutorRunner, sql: string, options: ExecuteOptions): Promise<boolean> {
    if (options !== READ || !this.realPostgres) return false;
    return this.volatileCalls.in(sql, (query) => this.run(runner, query, undefined, false, "data", true, performance.now()));
  }

  /** Real Postgres (PGlite, a server): settings are undone by rollbacks, and the application's functions may write. */
  private get realPostgres(): boolean {
    return this.context.family === "postgres" && !this.context.restoresSessionState;
  }

  /**
   * Reads the names of the application's functions that may write, once the schema exists, so
   * that the first reads of the tests do not (see {@link readWrites}).
   */
  async prepareFunctionNames(runner: ExecutorRunner): Promise<void> {
    if (!this.realPostgres) return;
    await this.withConnection(runner, (execution) => this.volatileCalls.load((sql) => execution.read(sql)).then(() => undefined));
  }

  /**
   * A PRAGMA that sets a value, or an ATTACH: SQLite keeps them on the connection whatever becomes
   * of the transaction, so the previous value is read first and restored (the database detached)
   * when the test or group it was made in ends, as if the test had never run.
   */
  private async changeSession(
    runner: ExecutorRunner,
    change: SessionChange,
    sql: string,
    parameters: unknown[] | undefined,
    structured: boolean | undefined,
  ): Promise<any> {
    let restore: string | undefined;
    if (change.kind === "attach") restore = `DETACH DATABASE "${change.alias.split('"').join('""')}"`;
    else {
      const rows = (await this.execute(runner, `PRAGMA ${change.target}`, undefined, false, READ)) as Record<string, unknown>[];
      const value = rows?.[0] === undefined ? undefined : Object.values(rows[0])[0];
      if (value === undefined && WRITE_ONLY_PRAGMA_DEFAULTS[change.target] !== undefined) {
        restore = `PRAGMA ${change.target} = ${WRITE_ONLY_PRAGMA_DEFAULTS[change.target]}`;
      } else if (typeof value === "number" || typeof value === "bigint") restore = `PRAGMA ${change.target} = ${value}`;
      else if (typeof value === "string") restore = `PRAGMA ${change.target} = '${value.split("'").join("''")}'`;
    }
    const result = await this.execute(runner, sql, parameters, structured, WRITE);
    if (restore) this.connection.recordSessionChange(restore);
    return result;
  }

  /**
   * A statement of the test harness's own: logged as internal, never guarded or scoped. With
   * `frame`, one that opens or ends a transaction frame (run by the engine's `runControl`).
   */
  internal(runner: ExecutorRunner, sql: string, kind: StatementKind, frame = false): Promise<unknown> {
    if (!this.connection.isOpen) return Promise.reject(new DataSourceDestroyedError("The test harness tried to run a statement"));
    return this.execute(runner, sql, undefined, false, { kind, write: kind === "data", internal: true, frame });
  }

  /**
   * Runs one of TypeORM's own transaction methods (`fn`) of `runner`: the statements it sends
   * through `query()` are taken as the transaction protocol (see {@link protocol}).
   */
  async controlled(runner: ExecutorRunner, method: string, fn: () => Promise<void>): Promise<void> {
    this.assertUsable(runner, method);
    runner.state.controlling++;
    try {
      await fn();
    } finally {
      runner.state.controlling--;
    }
  }

  /**
   * Before TypeORM's `startTransaction` runs: the flow of the runner's transaction starts here,
   * synchronously, so the caller's continuation joins it.
   */
  enterTransactionFlow(runner: ExecutorRunner): void {
    if (runner.state.ownFrames.length === 0) runner.state.flow = enterNewFlow();
  }

  /**
   * A statement TypeORM's transaction methods sent through `query()`. The library runs the
   * transaction on the shared connection itself (the test's savepoint sits below it, with savepoint
   * names of its own), so what it opens or ends is decided by the runner's frames, not by the
   * statement's spelling. `SET TRANSACTION` is not sent: the engine's transaction below the
   * application's is open already, and the level cannot change inside it. Where the runner's
   * frames and TypeORM's own count disagree (transaction control the application sent itself in
   * between), the server's rules decide, as they would in production.
   */
  private protocol(runner: ExecutorRunner, sql: string): Promise<unknown> {
    const keyword = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? "";
    // TypeORM's query() would have shown them to its logger and subscribers; frames run by the engine's runControl do not.
    if (this.context.runControl && PROTOCOL_KEYWORDS.has(keyword))
      return this.announced(runner, sql, () => this.protocolStatement(runner, sql, keyword));
    return this.protocolStatement(runner, sql, keyword);
  }

  /** Runs `run`, showing TypeORM's logger and subscribers `sql` as TypeORM's `query()` would have. */
  private async announced(runner: ExecutorRunner, sql: string, run: () => Promise<unknown>): Promise<unknown> {
    // Awaited only when subscribers listen: announcing is synchronous otherwise.
    const before = runner.announce(sql);
    if (before) await before;
    const started = performance.now();
    let result: unknown;
    try {
      result = await run();
    } catch (error) {
      const failed = runner.announce(sql, { ms: performance.now() - started, error });
      if (failed) await failed;
      throw error;
    }
    const after = runner.announce(sql, { ms: performance.now() - started });
    if (after) await after;
    return result;
  }

  private protocolStatement(runner: ExecutorRunner, sql: string, keyword: string): Promise<unknown> {
    const inTransaction = runner.state.ownFrames.length > 0;
    switch (keyword) {
      case "BEGIN":
      case "START":
        return inTransaction ? this.beginInTransaction(runner, sql) : this.openOwnFrame(runner).then(NO_ROWS);
      case "SAVEPOINT":
        return this.openOwnFrame(runner).then(NO_ROWS);
      case "RELEASE":
        return this.endOwnFrame(runner, "commit", false).then(NO_ROWS);
      case "COMMIT":
        return inTransaction ? this.endOwnFrame(runner, "commit", true).then(NO_ROWS) : this.endNothing("commit", sql);
      case "ROLLBACK":
        if (/^\s*ROLLBACK\s+TO\b/i.test(sql)) return this.endOwnFrame(runner, "rollback", false).then(NO_ROWS);
        return inTransaction ? this.endOwnFrame(runner, "rollback", true).then(NO_ROWS) : this.endNothing("rollback", sql);
      case "SET":
        return Promise.resolve([]);
      default:
        return this.execute(runner, sql, undefined, false, CONTROL);
    }
  }

  /**
   * Transaction control the application sent itself, in any spelling its production database
   * accepts: always the application's own transaction on this runner, never the test's. Like
   * TypeORM's runners, the library does not count it in `isTransactionActive`/`transactionDepth`.
   * BEGIN, COMMIT and ROLLBACK behave as production's server does where there is nothing to begin
   * or end.
   */
  private applicationControl(
    runner: ExecutorRunner,
    control: TransactionControl,
    accepted: boolean,
    sql: string,
    parameters: unknown[] | undefined,
    structured: boolean | undefined,
  ): Promise<unknown> {
    if (!accepted)
      throw new QueryFailedError(
        sql,
        parameters,
        new Error(`syntax error: ${this.serverName()} does not accept this transaction control statement`),
      );
    const state = runner.state;
    const inTransaction = state.ownFrames.length > 0;
    if (control.kind === "savepoint" || control.kind === "release" || control.kind === "rollback-to") {
      if (RESERVED_SAVEPOINT.test(control.name.replace(/^["`[]|["`\]]$/g, ""))) {
        throw new UnsupportedSqlError(
          sql,
          `the savepoint name ${control.name}`,
          "Names typeorm_shared_<n> are the test harness's own savepoints; name yours differently.",
          undefined,
        );
      }
    }
    switch (control.kind) {
      case "begin":
        if (inTransaction) return this.beginInTransaction(runner, sql);
        state.flow = enterNewFlow();
        return this.openOwnFrame(runner).then(NO_ROWS);
      case "commit":
      case "rollback":
        if (control.chain) return this.endAndChain(runner, control.kind, sql, parameters);
        return inTransaction ? this.endOwnFrame(runner, control.kind, true).then(NO_ROWS) : this.endNothing(control.kind, sql);
      case "rollback-to":
        // Postgres refuses SAVEPOINT in an aborted transaction: every savepoint there is older than the failure.
        if (this.context.emulatesAbort) for (const frame of state.ownFrames) frame.aborted = false;
        return this.rawSavepointStatement(runner, control, sql, parameters, structured, RAW_SAVEPOINT_END);
      case "release":
        if (this.context.emulatesAbort && this.isAborted(runner)) throw new TransactionAbortedError(sql, parameters);
        return this.rawSavepointStatement(runner, control, sql, parameters, structured, RAW_SAVEPOINT_END);
      case "savepoint":
        if (this.context.emulatesAbort && this.isAborted(runner)) throw new TransactionAbortedError(sql, parameters);
        return this.rawSavepointStatement(runner, control, sql, parameters, structured, RAW_SAVEPOINT);
    }
  }

  /**
   * The application's own SAVEPOINT, RELEASE or ROLLBACK TO, run as it is. Lagging replicas learn of
   * it: a ROLLBACK TO takes back what their syncs since the savepoint wrote to the copies.
   */
  private async rawSavepointStatement(
    runner: ExecutorRunner,
    control: TransactionControl & { readonly name: string },
    sql: string,
    parameters: unknown[] | undefined,
    structured: boolean | undefined,
    options: ExecuteOptions,
  ): Promise<unknown> {
    const result = await this.execute(runner, sql, parameters, structured, options);
    // Outside any transaction of the runner's, it holds no turn to run the replicas' statements in.
    if (!this.connection.capturesForLaggingReplicas || runner.state.ownFrames.length === 0) return result;
    const execution = this.lagExecution(runner);
    const depth = this.connection.applicationDepth;
    for (const lag of this.connection.laggingReplicas) {
      if (control.kind === "savepoint") lag.rawSavepoint(control.name, depth);
      else if (control.kind === "release") lag.rawRelease(control.name);
      else await lag.rawRollbackTo(execution, control.name);
    }
    return result;
  }

  /**
   * `COMMIT AND CHAIN`, `ROLLBACK AND CHAIN`: the transaction ends, and a new one begins at once, as
   * on the server. Postgres refuses them outside a transaction; MySQL has nothing to end there.
   */
  private async endAndChain(
    runner: ExecutorRunner,
    how: "commit" | "rollback",
    sql: string,
    parameters: unknown[] | undefined,
  ): Promise<unknown[]> {
    const state = runner.state;
    if (state.ownFrames.length > 0) {
      const flow = state.flow;
      await this.endOwnFrame(runner, how, true, false);
      state.flow = flow && !flow.isEnded ? flow : undefined;
    } else if (this.context.family === "postgres") {
      const error = Object.assign(new Error(`${how.toUpperCase()} AND CHAIN can only be used in transaction blocks`), { code: "25P01" });
      throw new QueryFailedError(sql, parameters, error);
    } else return this.endNothing(how, sql);
    await this.openOwnFrame(runner);
    return [];
  }

  /** BEGIN inside a transaction: Postgres warns and changes nothing; MySQL commits and begins anew; SQLite refuses. */
  private async beginInTransaction(runner: ExecutorRunner, sql: string): Promise<unknown[]> {
    const family = this.context.family;
    if (family === "sqlite")
      throw new QueryFailedError(sql, [], new Error("SQLITE_ERROR: cannot start a transaction within a transaction"));
    if (family === "mysql") {
      const flow = runner.state.flow;
      await this.endOwnFrame(runner, "commit", true, false);
      runner.state.flow = flow && !flow.isEnded ? flow : undefined;
      await this.openOwnFrame(runner);
    }
    return [];
  }

  /** COMMIT or ROLLBACK with no transaction: Postgres warns, MySQL does nothing, SQLite refuses. */
  private endNothing(how: "commit" | "rollback", sql: string): Promise<unknown[]> {
    if (this.context.family !== "sqlite") return Promise.resolve([]);
    return Promise.reject(new QueryFailedError(sql, [], new Error(`SQLITE_ERROR: cannot ${how} - no transaction is active`)));
  }

  private serverName(): string {
    return this.context.family === "mysql" ? "MySQL" : this.context.family === "postgres" ? "Postgres" : "SQLite";
  }

  private async openOwnFrame(runner: ExecutorRunner): Promise<void> {
    const state = runner.state;
    if (this.context.emulatesAbort && this.isAborted(runner)) throw new TransactionAbortedError("SAVEPOINT", undefined);
    const outermost = state.ownFrames.length === 0;
    // A transaction begun right after an implicit COMMIT (MySQL) keeps the turn it already holds.
    if (outermost && !state.lease) {
      const now = this.acquireNow(runner, "transaction", state.flow, "startTransaction");
      state.lease = now !== false ? now : await this.acquire(runner, "transaction", state.flow, "startTransaction");
    }
    try {
      // The test's savepoint must sit below the application's transaction.
      if (this.connection.hasDeferredFrames) await this.connection.openDeferredFrames(this.controlStatement(runner));
      const { frame, statements } = this.connection.pushFrame(runner, "application");
      try {
        for (const sql of statements) await this.execute(runner, sql, undefined, false, FRAME);
      } catch (error) {
        this.connection.closeFrame(frame, "not opened");
        throw error;
      }
      state.ownFrames.push(frame);
    } catch (error) {
      if (outermost) this.endTransactionState(runner);
      throw error;
    }
  }

  /**
   * Ends the runner's innermost own frame, or with `whole` its outermost (a raw `COMMIT` or
   * `ROLLBACK` ends the whole transaction, savepoints included, as on a server).
   */
  private async endOwnFrame(runner: ExecutorRunner, how: "commit" | "rollback", whole: boolean, endState = true): Promise<void> {
    const state = runner.state;
    if (whole) state.ownFrames.splice(1);
    const frame = state.ownFrames[state.ownFrames.length - 1];
    if (!frame?.alive) throw new TransactionNotStartedError();
    let end = this.connection.endSql(frame, how);
    if (how === "commit" && frame.aborted) {
      // Postgres: RELEASE in an aborted transaction fails; its COMMIT rolls back and reports success.
      if (state.ownFrames.length > 1) throw new TransactionAbortedError(`RELEASE SAVEPOINT`, undefined);
      end = this.connection.endSql(frame, "rollback");
    }
    // Only while lagging replicas capture: every application transaction ends here.
    const capturing = this.connection.capturesForLaggingReplicas;
    const depth = capturing ? this.connection.applicationDepthOf(frame) : 0;
    await this.endFrame(runner, frame, end);
    state.ownFrames.pop();
    if (capturing) {
      const execution = this.lagExecution(runner);
      const committed = end.outcome === "committed";
      for (const lag of this.connection.laggingReplicas) {
        // What lagging replicas did inside the frame: kept, or made again after its rollback.
        await lag.frameEnded(execution, depth, committed);
        // The application's outermost transaction committed: replicas that lag may now be given its work.
        if (committed && state.ownFrames.length === 0 && !this.connection.hasApplicationFrames) await lag.commitPoint(execution);
      }
    }
    if (state.ownFrames.length === 0 && endState) this.endTransactionState(runner);
  }

  private async endFrame(runner: ExecutorRunner, frame: TransactionFrame, end: FrameEnd): Promise<void> {
    try {
      // A commit that sends nothing still waits for work nested in the transaction to end first.
      if (end.statements.length === 0) {
        const turn = this.takeTurn(runner);
        if (turn) await turn;
      }
      for (const sql of end.statements) await this.execute(runner, sql, undefined, false, FRAME);
    } catch (error) {
      if (!end.ifFailed) throw error;
      return this.endFrame(runner, frame, end.ifFailed);
    }
    this.connection.closeFrame(frame, end.outcome);
  }

  /**
   * Waits until `runner` may use the connection, as a statement does, and lets it go again;
   * `undefined` when it may at once.
   */
  private takeTurn(runner: ExecutorRunner): Promise<void> | undefined {
    const lock = this.connection.lock;
    const flow = currentFlow();
    const now = this.acquireNow(runner, "statement", flow, "commitTransaction");
    if (now !== false) {
      if (now) lock.release(now);
      return undefined;
    }
    return this.acquire(runner, "statement", flow, "commitTransaction").then((lease) => {
      if (lease) lock.release(lease);
    });
  }

  /**
   * The runner's transaction is over (ended, discarded or fenced): its turn on the connection and its
   * flow end. TypeORM's `isTransactionActive` and `transactionDepth` are its transaction methods'
   * business; callers that end a transaction behind their back set them.
   */
  endTransactionState(runner: ExecutorRunner): void {
    const state = runner.state;
    state.ownFrames.length = 0;
    if (state.lease) this.connection.lock.release(state.lease);
    state.lease = undefined;
    state.flow?.end();
    state.flow = undefined;
  }

  /** An enclosing transaction ended and took (some of) the runner's frames with it. */
  discard(runner: ExecutorRunner): void {
    const frames = runner.state.ownFrames;
    for (let i = frames.length - 1; i >= 0; i--) if (!frames[i]!.alive) frames.splice(i, 1);
    if (frames.length === 0) this.endTransactionState(runner);
    runner.setTransactionState(frames.length > 0, frames.length);
  }

  /** Makes the runner unusable with `reason`, without touching the connection. */
  fence(runner: ExecutorRunner, reason: string): void {
    runner.state.endStream?.(new QueryRunnerReleasedError(runner.runnerId, runner.role, "stream", reason));
    this.endTransactionState(runner);
    runner.setTransactionState(false, 0);
    runner.state.releasedReason = reason;
    this.context.openRunners.delete(runner);
  }

  /**
   * The DataSource is being destroyed: its runners' waiting statements fail, their open
   * transactions are rolled back (when the connection outlives this DataSource, so they do not
   * block the others sharing it), and every runner is fenced.
   */
  async closeRunners(): Promise<void> {
    const runners = [...this.context.openRunners];
    const mine = new Set<unknown>(runners);
    const destroyed = () => new DataSourceDestroyedError("A statement was waiting for the shared connection");
    this.connection.lock.rejectWaiters((client) => mine.has(client), destroyed);
    for (const runner of runners) {
      if (runner.state.ownFrames.length > 0 && this.connection.isShared) {
        await this.endOwnFrame(runner, "rollback", true).catch(() => this.endTransactionState(runner));
      }
      this.fence(runner, "its DataSource was destroyed");
    }
  }

  /**
   * `stream()` on a driver that has one (Postgres, MySQL): the same checks, guard, turn, savepoint
   * and log as any statement. The stream holds the connection, as a transaction does, until it
   * ends, fails, or its runner is released; a stream never consumed is a leak the test reports.
   */
  async stream<S extends DriverStream>(
    runner: ExecutorRunner,
    sql: string,
    parameters: unknown[] | undefined,
    open: (sql: string) => Promise<S>,
  ): Promise<S> {
    this.assertUsable(runner, "stream", sql);
    const statement = classifyStatement(sql, this.context.family, runner.replicaIndex !== undefined && !this.context.allowReplicaWrites);
    if (statement === "write" && runner.replicaIndex !== undefined && !this.context.allowReplicaWrites) {
      throw new ReplicaWriteError(sql, runner.role, runner.replicaIndex, runner.runnerId);
    }
    if (this.context.emulatesAbort && this.isAborted(runner)) throw new TransactionAbortedError(sql, parameters);
    const state = runner.state;
    const started = performance.now();
    state.pending++;
    let lease: Lease | undefined;
    let frame: TransactionFrame | undefined;
    let ended = false;
    const end = (error?: unknown) => {
      if (ended) return;
      ended = true;
      state.endStream = undefined;
      void this.closeStream(runner, sql, parameters, started, lease, frame, error);
    };
    try {
      // No flow passes through an open stream: on the one connection, its statements would queue behind
      // the stream inside the driver and never run. They wait for it instead, bounded by connectionWaitTimeout.
      lease = await this.acquire(runner, "transaction", undefined, "stream", sql);
      if (lease) lease.sql = sql;
      if (statement !== "read" && this.connection.hasDeferredFrames)
        await this.connection.openDeferredFrames(this.controlStatement(runner));
      if (this.context.statementSavepoints && this.connection.needsStatementSavepoint(runner)) {
        const pushed = this.connection.pushFrame(runner, "statement");
        try {
          for (const control of pushed.statements) await this.controlStatement(runner)(control);
        } catch (error) {
          this.connection.closeFrame(pushed.frame, "not opened");
          throw error;
        }
        frame = pushed.frame;
      }
      // A lagging replica streams from its own copy, as its reads do.
      const lag = this.context.lag;
      const routed =
        statement === "read" && runner.replicaIndex !== undefined && lag?.routesReads
          ? (await lag.route(this.lagExecution(runner), runner.replicaIndex, sql, parameters)).sql
          : sql;
      const stream = await open(routed);
      state.endStream = (error) => {
        stream.destroy?.(error instanceof Error ? error : undefined);
        end(error);
      };
      stream.on("end", () => end());
      stream.on("close", () => end());
      stream.on("error", (error) => end(error ?? new Error("stream failed")));
      return stream;
    } catch (error) {
      end(error);
      throw error;
    }
  }

  private async closeStream(
    runner: ExecutorRunner,
    sql: string,
    parameters: unknown[] | undefined,
    started: number,
    lease: Lease | undefined,
    frame: TransactionFrame | undefined,
    error: unknown,
  ): Promise<void> {
    try {
      if (frame && error === undefined) this.connection.closeFrame(frame, "committed");
      if (frame && error !== undefined) {
        const undo = this.connection.endSql(frame, "rollback");
        try {
          for (const control of undo.statements) await this.controlStatement(runner)(control);
        } catch {
          // The connection may be gone with the stream; the frame is closed either way.
        } finally {
          this.connection.closeFrame(frame, undo.outcome);
        }
      }
    } finally {
      if (lease) this.connection.lock.release(lease);
      runner.state.pending--;
      this.record(runner, sql, parameters, started, "data", false, error);
    }
  }

  /**
   * Checks that `runner` may send a statement now: the DataSource is open, the runner is not
   * released, and the test whose work sends it has not ended.
   */
  assertUsable(runner: ExecutorRunner, method: string, sql?: string, scoped = true): void {
    if (runner.state.harness) {
      if (!this.connection.isOpen) throw new DataSourceDestroyedError("The test harness tried to run a statement");
      return;
    }
    const lifecycle = this.context.lifecycle();
    if (lifecycle === "new") throw new DataSourceNotInitializedError(`Query runner #${runner.runnerId} was asked to ${method}`);
    if (lifecycle === "destroyed") throw new DataSourceDestroyedError(`Query runner #${runner.runnerId} was asked to ${method}`);
    if (runner.isReleased) throw new QueryRunnerReleasedError(runner.runnerId, runner.role, method, runner.state.releasedReason);
    if (!scoped) return;
    const scope = currentTestScope() ?? runner.state.scope;
    if (scope?.isEnded) throw new TestEndedError(scope.testId, scope.title, sql ?? method);
  }

  private execute(
    runner: ExecutorRunner,
    sql: string,
    parameters: unknown[] | undefined,
    structured: boolean | undefined,
    options: ExecuteOptions,
  ): Promise<any> {
    if (!options.internal && this.context.emulatesAbort && options.kind === "data" && this.isAborted(runner)) {
      return Promise.reject(new TransactionAbortedError(sql, parameters));
    }
    return this.executeHolding(runner, sql, parameters, structured, options);
  }

  private async executeHolding(
    runner: ExecutorRunner,
    sql: string,
    parameters: unknown[] | undefined,
    structured: boolean | undefined,
    options: ExecuteOptions,
  ): Promise<any> {
    const { kind, internal = false } = options;
    const started = performance.now();
    const flow = currentFlow();
    const state = runner.state;
    state.pending++;
    try {
      const now = this.connection.lock.tryAcquire(runner, "statement", flow);
      const lease = now === false ? await this.acquire(runner, "statement", flow, "query", sql, internal) : now;
      if (lease) lease.sql = sql;
      try {
        if (this.connection.hasDeferredFrames && (options.write || options.setting || (await this.readWrites(runner, sql, options)))) {
          await this.connection.openDeferredFrames(this.controlStatement(runner));
        }
        if (options.endsSavepoints) for (const release of this.connection.releaseRetained()) await this.controlStatement(runner)(release);
        const savepoint = this.context.statementSavepoints && kind === "data" && this.connection.needsStatementSavepoint(runner);
        const read = options === READ;
        if (options.write && kind === "data" && !internal && this.connection.capturesForLaggingReplicas) {
          return await this.runCommitting(runner, sql, () =>
            savepoint
              ? this.runUnderSavepoint(runner, sql, parameters, structured, internal, started, read)
              : this.run(runner, sql, parameters, structured, kind, internal, started, read, options.frame),
          );
        }
        if (savepoint) return await this.runUnderSavepoint(runner, sql, parameters, structured, internal, started, read);
        return await this.run(runner, sql, parameters, structured, kind, internal, started, read, options.frame);
      } finally {
        if (lease) this.connection.lock.release(lease);
      }
    } finally {
      state.pending--;
    }
  }

  /**
   * {@link acquire} without a promise when the connection is free (the common case): `false` when
   * `runner` has to wait. Checked as `acquire` checks, since the caller may have awaited since
   * `query()` checked the runner in.
   */
  private acquireNow(
    runner: ExecutorRunner,
    kind: Lease["kind"],
    flow: ReturnType<typeof currentFlow>,
    method: string,
  ): Lease | undefined | false {
    const now = this.connection.lock.tryAcquire(runner, kind, flow);
    if (now === false) return false;
    try {
      this.assertUsable(runner, method);
    } catch (error) {
      if (now) this.connection.lock.release(now);
      throw error;
    }
    return now;
  }

  /**
   * Waits for the connection. A statement admitted after its test ended, or after the DataSource
   * was destroyed, does not run.
   */
  private async acquire(
    runner: ExecutorRunner,
    kind: Lease["kind"],
    flow: ReturnType<typeof currentFlow>,
    method: string,
    sql?: string,
    internal = false,
  ): Promise<Lease | undefined> {
    const lease = await this.connection.lock.acquire(runner, kind, flow);
    if (internal) return lease;
    try {
      this.assertUsable(runner, method, sql);
    } catch (error) {
      if (lease) this.connection.lock.release(lease);
      throw error;
    }
    return lease;
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
    runner: ExecutorRunner,
    sql: string,
    parameters: unknown[] | undefined,
    structured: boolean | undefined,
    internal: boolean,
    started: number,
    read: boolean,
  ): Promise<any> {
    const control = this.controlStatement(runner);
    const { frame, statements } = this.connection.pushFrame(runner, "statement");
    try {
      for (const statement of statements) await control(statement);
    } catch (error) {
      this.connection.closeFrame(frame, "not opened");
      throw error;
    }
    try {
      const result = await this.run(runner, sql, parameters, structured, "data", internal, started, read);
      this.connection.closeFrame(frame, "committed");
      return result;
    } catch (error) {
      const undo = this.connection.endSql(frame, "rollback");
      try {
        for (const statement of undo.statements) await control(statement);
      } finally {
        this.connection.closeFrame(frame, undo.outcome);
      }
      throw error;
    }
  }

  /**
   * A write while replicas lag: outside any application transaction it commits at once, as
   * production autocommits it, and the replicas may be given it.
   */
  private async runCommitting(runner: ExecutorRunner, sql: string, execute: () => Promise<any>): Promise<any> {
    const lags = this.connection.laggingReplicas;
    const execution = this.lagExecution(runner);
    const alters = ALTER_TABLE.test(sql);
    if (alters) for (const lag of lags) await lag.beforeAlter(execution);
    let result: unknown;
    try {
      result = await execute();
    } finally {
      // Failed or not, the capture is built again for what the table now is.
      if (alters) for (const lag of lags) await lag.schemaChanged(execution);
    }
    for (const lag of lags) {
      lag.noteWrite();
      if (!this.connection.hasApplicationFrames) await lag.commitPoint(execution);
    }
    return result;
  }

  /**
   * Runs `fn` with the connection held by `runner` (the harness's), for the replica-lag
   * controller's own statements: syncs, switching lag on and off.
   */
  async withConnection<T>(runner: ExecutorRunner, fn: (execution: LagExecution) => Promise<T>): Promise<T> {
    if (!this.connection.isOpen) throw new DataSourceDestroyedError("Replica lag tried to run a statement");
    const flow = currentFlow();
    runner.state.pending++;
    try {
      const now = this.connection.lock.tryAcquire(runner, "statement", flow);
      const lease = now === false ? await this.connection.lock.acquire(runner, "statement", flow) : now;
      try {
        return await fn(this.lagExecution(runner));
      } finally {
        if (lease) this.connection.lock.release(lease);
      }
    } finally {
      runner.state.pending--;
    }
  }

  /** How the replica-lag controller runs statements in `runner`'s turn: internal, never translated. */
  private lagExecution(runner: ExecutorRunner): LagExecution {
    return {
      read: (sql, parameters) => this.run(runner, sql, parameters, false, "data", true, performance.now()),
      write: async (sql) => {
        if (this.connection.hasDeferredFrames) await this.connection.openDeferredFrames(this.controlStatement(runner));
        await this.run(runner, sql, undefined, false, "data", true, performance.now());
      },
      applicationDepth: () => this.connection.applicationDepth,
      inTransaction: () => this.connection.hasOpenFrames || this.connection.hasDeferredFrames,
    };
  }

  /** Runs a harness savepoint statement of `runner`'s; the caller already holds the connection. */
  private controlStatement(runner: ExecutorRunner): (sql: string) => Promise<unknown> {
    return (sql) => this.run(runner, sql, undefined, false, "transaction", true, performance.now(), false, true);
  }

  private async run(
    runner: ExecutorRunner,
    sql: string,
    parameters: unknown[] | undefined,
    structured: boolean | undefined,
    kind: StatementKind,
    internal: boolean,
    started: number,
    read = false,
    frame = false,
  ): Promise<any> {
    const context = this.context;
    this.connection.statementStarted();
    let error: unknown;
    let statement = { sql, parameters };
    let sent = false;
    let commitsBehind: number | undefined;
    try {
      // The harness's and the frames' own statements are the engine's SQL already.
      if (context.translateStatement && !internal && !frame) statement = context.translateStatement(sql, parameters);
      if (context.lag?.watchesStatements && !internal && !frame) context.lag.noteStatement(statement.sql);
      if (read && runner.replicaIndex !== undefined) {
        commitsBehind = 0;
        if (context.lag?.routesReads) {
          const routed = await context.lag.route(this.lagExecution(runner), runner.replicaIndex, statement.sql, statement.parameters);
          statement = { sql: routed.sql, parameters: statement.parameters };
          commitsBehind = routed.commitsBehind;
        }
      }
      sent = true;
      const result = frame
        ? await runner.engineControl(statement.sql)
        : await runner.engineQuery(statement.sql, statement.parameters, structured);
      // A master read calling a function that writes: lagging replicas may be given its work.
      if (
        read &&
        runner.replicaIndex === undefined &&
        !internal &&
        context.lag?.captures &&
        (await this.readWrites(runner, statement.sql, READ))
      ) {
        await context.lag.masterReadWrote(this.lagExecution(runner));
      }
      return result;
    } catch (failure) {
      // statementSavepoints: the engine aborts the transaction on error (see RunnerContext).
      if (sent && context.statementSavepoints) this.connection.statementFailed(runner);
      const reported = context.statementError ? context.statementError(failure, statement.sql, statement.parameters) : failure;
      error = context.translateError ? context.translateError(reported, sql) : reported;
      if (sent && context.emulatesAbort && !internal && !isEngineLimitation(error)) this.connection.abortTransactionOf(runner);
      throw error;
    } finally {
      this.connection.statementEnded();
      this.record(runner, sql, parameters, started, kind, internal, error, commitsBehind);
    }
  }

  private record(
    runner: ExecutorRunner,
    sql: string,
    parameters: unknown[] | undefined,
    started: number,
    kind: StatementKind,
    internal: boolean,
    error: unknown,
    commitsBehind?: number,
  ): void {
    this.context.log.record({
      role: runner.role,
      replicaIndex: runner.replicaIndex,
      commitsBehind,
      runnerId: runner.runnerId,
      sql,
      parameters,
      durationMs: performance.now() - started,
      kind,
      internal,
      ...(error === undefined ? {} : { error }),
    });
  }

  /** A Postgres application's transaction on this runner failed a statement and has not recovered. */
  private isAborted(runner: ExecutorRunner): boolean {
    for (const frame of runner.state.ownFrames) if (frame.aborted && frame.alive) return true;
    return false;
  }
}

// `ALTER TABLE …`, after any leading whitespace and comments.
const ALTER_TABLE = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*ALTER\s+TABLE\b/i;

/** The engine rejected what production accepts (its syntax, its functions): not a failure production would have had. */
function isEngineLimitation(error: unknown): boolean {
  if (error instanceof UnsupportedSqlError) return true;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" && ENGINE_LIMITATION.test(message);
}

/** True for a statement of only whitespace and comments. Cheap for everything else: only text that starts with a comment is tokenized. */
function isEmptyStatement(sql: string, family: RunnerContext["family"]): boolean {
  const start = sql.trimStart();
  if (start === "") return true;
  if (!start.startsWith("/*") && !start.startsWith("--") && !start.startsWith("#")) return false;
  return tokenize(sql, family).every((token) => isTrivia(token.kind));
}
