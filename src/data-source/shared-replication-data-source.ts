import { DataSource, type DataSourceOptions, type EntityManager, type QueryRunner, type ReplicationMode } from "typeorm";
import { runIsolated } from "../connection/async-flow";
import { SharedConnection } from "../connection/shared-connection";
import type { Engine } from "../engines/engine";
import { resolveEngine } from "../engines/resolve-engine";
import { IncompatibleTypeOrmError } from "../errors/incompatible-typeorm-error";
import { applyProductionFidelity } from "../fidelity/apply-fidelity";
import { SequenceCounters } from "../fidelity/sequence-registry";
import { QueryLog } from "../query-log/query-log";
import { defineSharedQueryRunner, type NativeRunnerClass } from "../query-runner/define-shared-query-runner";
import type { ExecutorRunner } from "../executor/runner-state";
import type { DataSourceLifecycle, RunnerContext } from "../query-runner/runner-context";
import { StatementExecutor } from "../executor/statement-executor";
import { DataSourceDestroyedError } from "../errors/data-source-destroyed-error";
import { SchemaInTransactionError } from "../errors/schema-in-transaction-error";
import type { SharedQueryRunner } from "../query-runner/shared-query-runner";
import { ReplicaSet } from "../replication/replica-set";
import { attachReplicaRouting } from "../replication/routing/install-replica-routing";
import { internalsOf, registerInternals } from "./data-source-internals";
import { innerApplicationOptions, warnNotHonoured } from "./option-classification";
import { createSchemaOnce } from "../engines/server/test-database";
import { isolationPolicy } from "../query-runner/isolation-policy";
import type { IsolationLevel } from "../query-runner/shared-query-runner";
import { runningTypeOrmLine } from "../typeorm/typeorm-line";
import { resolveSettings, type SchemaStrategy, type SharedReplicationSettings } from "./shared-replication-settings";
import { LaggingReplicas, type LagExecution } from "../replication/lag/lagging-replicas";
import { resolveReplicaLag, type ReplicaLag, type ResolvedLag } from "../replication/lag/replica-lag";
import { ReplicaLagUnavailableError } from "../errors/replica-lag-unavailable-error";
import { ReplicaLagError } from "../errors/replica-lag-error";
import { InvalidReplicaIndexError } from "../errors/invalid-replica-index-error";
import { DataSourceNotInitializedError } from "../errors/data-source-not-initialized-error";
import { dropLagCopies } from "../testing/lag-scope";

interface DriverSurface {
  isReplicated: boolean;
  createQueryRunner(mode: ReplicationMode): QueryRunner;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * A TypeORM `DataSource` for tests that takes the application's production options (any type, with
 * or without `replication`) and runs them on one shared connection: in-memory SQLite by default.
 * Every `createQueryRunner(mode)` returns a distinct runner that reports its role and replica, but
 * all of them execute on the same connection, so a replica read sees every write made through the
 * master, even inside a still-open transaction. Runners with an open transaction take turns on the
 * connection (FIFO); writes through replica runners are rejected as production replicas would; every
 * statement is recorded in {@link SharedReplicationDataSource.queryLog}.
 *
 * Every option of the application is kept and honoured except those that say where the database is
 * (hosts, users, passwords, URLs, pools, the database file, replica addresses), which are replaced
 * by the engine's and never used; options of the production driver that the engine cannot honour
 * emit an {@link OPTION_NOT_HONOURED_WARNING} warning. Replica runners are routed as TypeORM's
 * driver for the application's `type` routes them: without `replication`, or with no slaves, they
 * are served by the master.
 *
 * @example
 * ```ts
 * import { productionOptions } from "../src/data-source";
 *
 * export const testDataSource = new SharedReplicationDataSource(productionOptions);
 * await testDataSource.initialize(); // schema from the entities, in memory
 * ```
 */
export class SharedReplicationDataSource extends DataSource {
  /** Every statement executed through this DataSource, newest last; keeps the last `queryLogSize`. */
  readonly queryLog: QueryLog;
  /** How many replicas are simulated (replica runners are assigned round-robin). */
  readonly replicaCount: number;
  private readonly readMode: ReplicationMode;
  private readonly schemaStrategy: SchemaStrategy;
  private readonly lagging: LaggingReplicas | undefined;

  /**
   * @param options the application's production `DataSourceOptions`.
   * @param settings see {@link SharedReplicationSettings}; every field has a default.
   * @throws InvalidSettingsError when the options or settings are unusable (nothing is created).
   * @throws EngineNotInstalledError when the engine's driver package is missing.
   */
  constructor(options: DataSourceOptions, settings: SharedReplicationSettings = {}) {
    const resolved = resolveSettings(options, settings);
    const primary = resolved.shareConnectionWith && internalsOf(resolved.shareConnectionWith);
    const engine = primary ? primary.engine : resolveEngine(resolved.engine, options);
    if (resolved.replicaLag.kind !== "none" && !engine.laggingReplicas) throw new ReplicaLagUnavailableError(engine.name);
    super(innerOptions(engine, options));
    const sequences = primary?.sequences ?? new SequenceCounters();
    const fidelity = applyProductionFidelity(this, options, sequences);
    this.queryLog = new QueryLog(resolved.queryLogSize);
    this.replicaCount = resolved.replicas;
    this.readMode = resolved.defaultMode;
    this.schemaStrategy = resolved.schema;
    const lagging =
      engine.laggingReplicas && resolved.replicas > 0
        ? new LaggingReplicas(resolved.replicas, resolved.replicaLag, engine.laggingReplicas)
        : undefined;
    this.lagging = lagging;

    const driver = checkedDriver(this.driver);
    const Native = nativeRunnerClass(driver);
    const native = { open: driver.connect.bind(driver), close: driver.disconnect.bind(driver) };
    const connection =
      primary?.connection ??
      new SharedConnection(engine.dialect, resolved.connectionWaitTimeout, engine.physicalConnection?.(this.driver, native) ?? native);
    let runnerIds = 0;
    const dataSourceLevel = runningTypeOrmLine().appliesDataSourceIsolationLevel
      ? (options as { isolationLevel?: IsolationLevel }).isolationLevel
      : undefined;
    const isolation = isolationPolicy(resolved.family, dataSourceLevel, engine.persistent === true);
    let lifecycle: DataSourceLifecycle = "new";
    const context: RunnerContext = {
      connection,
      family: resolved.family,
      emulatesAbort: resolved.family === "postgres" && !engine.abortsTransactionOnError,
      lifecycle: () => lifecycle,
      restoresSessionState: engine.persistent !== true,
      log: this.queryLog,
      allowReplicaWrites: resolved.allowReplicaWrites,
      isolation,
      statementSavepoints: engine.abortsTransactionOnError ?? false,
      openRunners: new Set<ExecutorRunner>(),
      isolatedGroups: 0,
      nextRunnerId: () => ++runnerIds,
      lastRunnerId: () => runnerIds,
      prepareRunner: engine.prepareRunner?.bind(engine),
      runControl: engine.runControl?.bind(engine),
      statementError: engine.statementError?.bind(engine),
      ...(lagging ? { lag: lagging } : {}),
      ...fidelity,
    };
    if (lagging) connection.laggingReplicas.add(lagging);
    const executor = new StatementExecutor(connection, context);
    const Runner = defineSharedQueryRunner(Native, executor, context);
    const replicas = new ReplicaSet(resolved.replicas);
    const primaryDriver = resolved.shareConnectionWith?.driver;

    // As TypeORM's drivers: replicated when the options have `replication`, even with no slaves.
    driver.isReplicated = resolved.replicated;
    driver.createQueryRunner = (mode: ReplicationMode = "master") =>
      new Runner(this.driver, mode, mode === "slave" ? replicas.next() : undefined);
    // usePrimary, pinning and the replica selection strategy, built in (installReplicaRouting returns this routing).
    attachReplicaRouting(this, replicas);
    driver.connect = async () => {
      const before = lifecycle;
      // Open already while connecting: server drivers ask the server for its version through a runner.
      lifecycle = "open";
      try {
        await connection.attach();
        if (primaryDriver) engine.adoptConnection(this.driver, primaryDriver);
      } catch (error) {
        lifecycle = before;
        throw error;
      }
    };
    driver.disconnect = async () => {
      // destroy() again after one that failed once the connection had closed (a test database
      // another session uses was not dropped): nothing is left to close.
      if (lifecycle === "destroyed") return;
      lifecycle = "destroyed";
      lagging?.connectionClosed();
      await connection.detach(() => new DataSourceDestroyedError("A statement was waiting for the shared connection when it closed"));
    };

    registerInternals(this, {
      engine,
      connection,
      context,
      executor,
      sequences,
      createHarnessRunner: () => {
        const runner = new Runner(this.driver, "master", undefined);
        runner.state.harness = true;
        context.openRunners.delete(runner);
        return runner;
      },
    });
  }

  /**
   * Connects and creates the schema (see the `schema` setting). On a real server the schema is
   * created once per process, and everything after it runs in a session transaction that is
   * rolled back when the connection closes, so nothing a test does is ever committed.
   */
  override async initialize(): Promise<this> {
    internalsOf(this)!.context.isolation.validateDataSourceLevel();
    await super.initialize();
    try {
      const internals = internalsOf(this)!;
      const tables = this.entityMetadatas.map((metadata) => metadata.tablePath).sort();
      // The query-result cache table is part of the schema synchronize creates.
      const cache = this.options.cache;
      if (cache) tables.push(`cache:${(typeof cache === "object" && cache.tableName) || "query-result-cache"}`);
      // The schema is created outside the test harness's transactions when none is open on the
      // engine yet. When one is (a DataSource joining a shared connection mid-test), the schema is
      // part of it: rolled back with it, so a persistent database must not remember it as created.
      const connection = internals.connection;
      if (this.schemaStrategy !== "none" && connection.hasOpenTransactionsBesidesSession) throw new SchemaInTransactionError();
      const committed = !connection.hasOpenFrames;
      const databaseKey = internals.engine.persistent && committed ? internals.engine.databaseKey : undefined;
      const create = () => connection.outsideDeferredFrames(() => this.createSchema());
      const ownSchemaOnce = databaseKey === undefined ? undefined : internals.engine.createSchemaOnce?.bind(internals.engine);
      if (ownSchemaOnce) await ownSchemaOnce({ dataSource: this, tables, strategy: this.schemaStrategy }, create);
      else await createSchemaOnce(databaseKey, tables, create);
      if (internals.engine.persistent) internals.connection.beginSession(internals.createHarnessRunner());
      if (this.lagging) await this.prepareReplicaCopies(this.lagging);
      await this.withHarnessRunner((runner) => internals.executor.prepareFunctionNames(runner));
      // A test group that was running when the DataSource was destroyed goes on isolating.
      internals.connection.resume();
    } catch (error) {
      await this.destroy();
      throw error;
    }
    return this;
  }

  /**
   * Closes the DataSource as TypeORM does, after ending everything it has on the shared
   * connection: statements waiting for it fail with `DataSourceDestroyedError`, its runners' open
   * transactions are rolled back (the connection may outlive it, shared with another DataSource),
   * and its runners are fenced. The last DataSource on a connection closes it; a test group still
   * running keeps its isolation if the DataSource is initialized again.
   */
  override async destroy(): Promise<void> {
    if (this.isInitialized) {
      const internals = internalsOf(this)!;
      await internals.executor.closeRunners();
      // Copies a truncating lifecycle committed to a persistent database go with the DataSource.
      try {
        await dropLagCopies(internals, internals.createHarnessRunner());
      } finally {
        await super.destroy();
      }
      return;
    }
    await super.destroy();
  }

  /**
   * The replicas' databases are attached once per connection, outside any transaction (SQLite
   * refuses ATTACH inside one); with lag asked for, their copies are built right away, committed.
   * Postgres engines attach nothing: their copies are schemas, built in the session transaction.
   */
  private async prepareReplicaCopies(lagging: LaggingReplicas): Promise<void> {
    const connection = internalsOf(this)!.connection;
    const attach = lagging.attachStatements();
    const blocked = attach.length > 0 ? connection.hasOpenFrames : connection.hasOpenTransactionsBesidesSession;
    if (blocked) {
      if (lagging.lag.kind !== "none") {
        throw new ReplicaLagError(
          "open-transaction",
          "replicaLag builds the replicas' copies when the DataSource connects, outside every test's transaction, " +
            "and this DataSource joined a connection with one open. Initialize it before the test group begins.",
        );
      }
      if (attach.length > 0) return;
    }
    const prepare = () =>
      this.withLag(async (execution) => {
        for (const sql of attach) await execution.write(sql);
        lagging.connectionOpened();
        if (lagging.lag.kind !== "none") await lagging.build(execution);
      });
    if (attach.length > 0) await connection.outsideDeferredFrames(prepare);
    else await prepare();
  }

  /**
   * Carries the master's commits over to every replica, or to replica `replicaIndex`, when
   * replicas lag (see the `replicaLag` setting); in the shared mode replicas are never behind and
   * this does nothing. Waits for the connection as a statement does.
   *
   * @param replicaIndex the replica to sync, numbered from 0 as in `replication.slaves`. The
   *   default value is `undefined`: every replica.
   * @throws InvalidReplicaIndexError when `replicaIndex` is not one of the replicas.
   * @throws DataSourceNotInitializedError before `initialize()`.
   *
   * @example
   * ```ts
   * await request(app).post("/tasks").send({ title: "write" });
   * expect((await request(app).get("/tasks/latest")).body).to.equal(null); // the replica has not caught up
   * await dataSource.syncReplicas();
   * ```
   */
  async syncReplicas(replicaIndex?: number): Promise<void> {
    if (replicaIndex !== undefined && !(Number.isInteger(replicaIndex) && replicaIndex >= 0 && replicaIndex < this.replicaCount)) {
      throw new InvalidReplicaIndexError("syncReplicas", replicaIndex, this.replicaCount);
    }
    if (!this.isInitialized) throw new DataSourceNotInitializedError("syncReplicas() was called");
    const lagging = this.lagging;
    if (!lagging?.captures) return;
    await this.withLag((execution) => lagging.sync(execution, replicaIndex));
  }

  /**
   * Changes how far replicas fall behind (see the `replicaLag` setting) for the running test, or
   * for the test group when called in a group's hook; the test's or group's end puts the previous
   * lag back. Switching lag on brings every replica in line with the master's last commit first.
   *
   * @throws InvalidSettingsError for a value `replicaLag` does not accept.
   * @throws ReplicaLagError outside a test or group, or while an application transaction is open
   *   when lag is switched on.
   * @throws ReplicaLagUnavailableError on a MySQL or MariaDB server engine.
   *
   * @example
   * ```ts
   * it("should show the stale read", async () => {
   *   await dataSource.setReplicaLag("manual");
   *   // ... writes now reach replicas only on dataSource.syncReplicas()
   * });
   * ```
   */
  async setReplicaLag(lag: ReplicaLag): Promise<void> {
    const resolved = resolveReplicaLag(lag, this.replicaCount);
    if (!this.isInitialized) throw new DataSourceNotInitializedError("setReplicaLag() was called");
    const lagging = this.lagging;
    if (!lagging) {
      if (resolved.kind === "none") return;
      throw new ReplicaLagUnavailableError(internalsOf(this)!.engine.name);
    }
    await this.withLag((execution) => lagging.setLag(execution, resolved, "setReplicaLag()"));
  }

  /** The replica lag in force (see the `replicaLag` setting). */
  get replicaLag(): ReplicaLag {
    return publicLag(this.lagging?.lag ?? { kind: "none" });
  }

  private withLag<T>(fn: (execution: LagExecution) => Promise<T>): Promise<T> {
    return this.withHarnessRunner((runner) => internalsOf(this)!.executor.withConnection(runner, fn));
  }

  private async withHarnessRunner<T>(fn: (runner: ExecutorRunner) => Promise<T>): Promise<T> {
    const runner = internalsOf(this)!.createHarnessRunner();
    try {
      return await fn(runner);
    } finally {
      await runner.release();
    }
  }

  private async createSchema(): Promise<void> {
    if (this.schemaStrategy === "synchronize") await this.synchronize();
    if (this.schemaStrategy === "migrations") await this.runMigrations({ transaction: this.options.migrationsTransactionMode ?? "all" });
  }

  /** Creates a query runner for `mode` (default `"master"`); see {@link SharedQueryRunner}. */
  override createQueryRunner(mode: ReplicationMode = "master"): SharedQueryRunner {
    return super.createQueryRunner(mode) as SharedQueryRunner;
  }

  /** The application's `replication.defaultMode`, so reads are routed as in production. */
  override defaultReplicationModeForReads(): ReplicationMode {
    return this.readMode ?? "slave";
  }

  /**
   * Managers get a `transaction()` whose flow stays inside the call, so concurrent transactions
   * started from one tick take turns instead of passing through each other.
   */
  override createEntityManager(queryRunner?: QueryRunner): EntityManager {
    const manager = super.createEntityManager(queryRunner);
    const transaction = manager.transaction;
    if (typeof transaction !== "function") throw new IncompatibleTypeOrmError("EntityManager.transaction to be a method");
    manager.transaction = function (this: EntityManager, ...args: unknown[]) {
      return runIsolated(() => (transaction as (...a: unknown[]) => Promise<unknown>).apply(this, args));
    } as EntityManager["transaction"];
    return manager;
  }
}

function publicLag(lag: ResolvedLag): ReplicaLag {
  if (lag.kind !== "interval") return lag.kind;
  return { syncIntervalMs: [...lag.intervals] };
}

// The schema is created by initialize() itself (once per process on a real server), never by TypeORM's flags.
function innerOptions(engine: Engine, options: DataSourceOptions): DataSourceOptions {
  const application = innerApplicationOptions(options, engine.driverType);
  warnNotHonoured(String(options.type), engine.name, application);
  return {
    ...engine.dataSourceOptions(application.options),
    synchronize: false,
    migrationsRun: false,
    dropSchema: false,
  } as DataSourceOptions;
}

function checkedDriver(driver: unknown): DriverSurface {
  const surface = driver as Partial<DriverSurface>;
  for (const method of ["createQueryRunner", "connect", "disconnect"] as const) {
    if (typeof surface[method] !== "function") throw new IncompatibleTypeOrmError(`Driver.${method} to be a method`);
  }
  return surface as DriverSurface;
}

/** The driver's own runner class, taken from a runner it creates (no connection is opened). */
function nativeRunnerClass(driver: DriverSurface): NativeRunnerClass {
  const probe = driver.createQueryRunner("master");
  const Native = probe?.constructor as NativeRunnerClass | undefined;
  for (const method of ["query", "startTransaction", "commitTransaction", "rollbackTransaction", "release", "connect"] as const) {
    if (typeof Native?.prototype?.[method] !== "function") throw new IncompatibleTypeOrmError(`QueryRunner.${method} to be a method`);
  }
  return Native!;
}
