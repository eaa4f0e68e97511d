import type { DataSource, EntityManager } from "typeorm";
import type { ConnectionClient } from "../connection/connection-client";
import type { TransactionFrame } from "../connection/shared-connection";
import { internalsOf, type DataSourceInternals } from "../data-source/data-source-internals";
import { QueryRunnerReleasedError } from "../errors/query-runner-released-error";
import { SharedReplicationError } from "../errors/shared-replication-error";
import { TestLeakError, type TestLeak } from "../errors/test-leak-error";
import type { SharedReplicationQueryRunner } from "../query-runner/define-shared-query-runner";
import type { ExecutorRunner } from "../executor/runner-state";
import { deepCopy } from "./deep-copy";
import { TestScope } from "./test-scope";
import type { TestLifecycle } from "./test-lifecycle";
import type { LagSnapshot } from "../replication/lag/lagging-replicas";
import { beginLagScope } from "./lag-scope";

/** Options of {@link TestIsolation}. */
export interface TestIsolationOptions<TData> {
  /**
   * Creates fixtures once per group, inside the group's transaction; every test sees the rows and
   * gets a fresh deep copy of the returned value as `testData`. The default value is `undefined`.
   */
  readonly setUpTestData?: (manager: EntityManager) => TData | Promise<TData>;
  /**
   * Fail `endTest()` with `TestLeakError` when a test leaves a query runner unreleased or a
   * transaction open. The connection is restored either way. The default value is `true`.
   */
  readonly failOnLeaks?: boolean;
}

const ENDED = "the test that created it ended";
/** How many event-loop turns a leak check waits, at most, for the test's statements still in flight. */
const SETTLE_TURNS = 1000;
/** The `code` of the warning for a test hook that runs after the DataSource was destroyed. */
export const HOOK_ORDER_WARNING = "TYPEORM_SHARED_REPLICATION_HOOK_ORDER";

/**
 * The framework-neutral rollback core: a transaction per group of tests, a savepoint per test,
 * rolled back after each test and at the end of the group. Any runner can drive it (mocha,
 * `node:test`, Jest, Vitest); `TransactionalTestCase`, `useTransactionalTests` and the mocha root
 * hooks are thin adapters over it.
 *
 * Savepoints are opened lazily, before the first statement that writes or starts a transaction,
 * so a test that only reads costs no statement at all.
 *
 * @example
 * ```ts
 * const isolation = new TestIsolation(testDataSource);
 * before(() => isolation.beginGroup());
 * beforeEach(() => isolation.beginTest());
 * afterEach(() => isolation.endTest());
 * after(() => isolation.endGroup());
 * ```
 */
export class TestIsolation<TData = undefined> implements TestLifecycle<TData> {
  private groupFrame: TransactionFrame | undefined;
  private testFrame: TransactionFrame | undefined;
  /** Replica lag as the group and the test began (see the `replicaLag` setting). */
  private groupLag: LagSnapshot | undefined;
  private testLag: LagSnapshot | undefined;
  private scope: TestScope | undefined;
  private harness: SharedReplicationQueryRunner | undefined;
  private data: TData | undefined;
  private dataCopy: { value: TData } | undefined;
  private runnersBeforeTest = 0;
  private runnersBeforeGroup = 0;
  private testId = 0;
  private initializedHere = false;
  private readonly internals: DataSourceInternals;

  /**
   * @param dataSource a SharedReplicationDataSource; `beginGroup()` initializes it if needed (and
   *   `endGroup()` then destroys it).
   * @throws SharedReplicationError for any other DataSource: only a shared connection can be isolated.
   */
  constructor(
    readonly dataSource: DataSource,
    private readonly options: TestIsolationOptions<TData> = {},
  ) {
    const internals = internalsOf(dataSource);
    if (!internals) {
      throw new SharedReplicationError(
        "TestIsolation needs a SharedReplicationDataSource: with any other DataSource, writes escape through new connections. " +
          "Build the test DataSource with new SharedReplicationDataSource(productionOptions).",
      );
    }
    this.internals = internals;
  }

  /** True between `beginGroup()` and `endGroup()`. */
  get inGroup(): boolean {
    return this.groupFrame !== undefined;
  }

  /** True between `beginTest()` and `endTest()`. */
  get inTest(): boolean {
    return this.testFrame !== undefined;
  }

  /**
   * What `setUpTestData` returned, as a deep copy made for the current test (prototypes kept, so
   * entities stay entities): a test may mutate it without affecting the next one.
   */
  get testData(): TData {
    if (!this.testFrame) return deepCopy(this.data as TData);
    this.dataCopy ??= { value: deepCopy(this.data as TData) };
    return this.dataCopy.value;
  }

  /** Opens the group's transaction and runs `setUpTestData` inside it. */
  async beginGroup(): Promise<void> {
    if (this.groupFrame) throw new SharedReplicationError("beginGroup() was called twice; call endGroup() first.");
    if (!this.dataSource.isInitialized) {
      await this.dataSource.initialize();
      this.initializedHere = true;
    }
    this.runnersBeforeGroup = this.internals.context.lastRunnerId();
    this.harness = this.internals.createHarnessRunner();
    this.groupFrame = this.internals.connection.deferAmbientFrame(this.harness);
    this.internals.context.isolatedGroups++;
    try {
      if (this.options.setUpTestData) this.data = await this.options.setUpTestData(this.dataSource.manager);
      // Replicas that lag start the group in sync with its fixtures.
      this.groupLag = await beginLagScope(this.internals, this.harness);
    } catch (error) {
      await this.endGroup();
      throw error;
    }
  }

  /**
   * Opens the test's savepoint (lazily: no statement until the test first writes).
   *
   * @param title the test's title, for errors about its late work. The default value is `undefined`.
   * @returns the test's id, for `runInTest(id, body)`, `assertNoLeaks(id)` and `endTest(id)`.
   */
  async beginTest(title?: string): Promise<number> {
    if (!this.groupFrame || !this.harness) throw new SharedReplicationError("beginTest() needs beginGroup() first.");
    if (this.testFrame) throw new SharedReplicationError("beginTest() was called twice; call endTest() first.");
    // Replicas behind the group's state (its hooks wrote after it began) catch up in the group's transaction, once.
    const lag = await beginLagScope(this.internals, this.harness);
    this.runnersBeforeTest = this.internals.context.lastRunnerId();
    this.testFrame = this.internals.connection.deferAmbientFrame(this.harness);
    this.testLag = lag;
    this.dataCopy = undefined;
    this.scope = new TestScope(++this.testId, title);
    return this.testId;
  }

  /**
   * Runs `body` (the test's own function) in the test's async scope: everything it starts belongs
   * to the test, and once the test ended, statements of that work fail with `TestEndedError`
   * instead of running inside the next test. Test-framework adapters wrap each test body with it.
   *
   * @param testId the id `beginTest()` returned; for any other test, `body` runs unscoped.
   */
  runInTest<T>(testId: number, body: () => T): T {
    const scope = this.scope;
    return scope && scope.testId === testId ? scope.run(body) : body();
  }

  /**
   * Fails the running test now if it left a runner unreleased or a transaction open (restoring the
   * connection first); otherwise does nothing and `endTest()` rolls back later. Adapters call it at
   * the end of the test body, so a leak fails that test rather than an after-each hook.
   *
   * Statements the test still has in flight (siblings of a rejected `Promise.all`) settle first, so
   * only runners that really stay open are reported.
   *
   * @param testId the id `beginTest()` returned; a check that comes late, for a test that already
   *   ended (a timed-out one), does nothing. The default value is the current test.
   * @throws TestLeakError when the test leaked and `failOnLeaks` is on (the default).
   */
  async assertNoLeaks(testId?: number): Promise<void> {
    if (!this.testFrame || (testId !== undefined && testId !== this.testId)) return;
    await this.settle();
    if (this.testFrame && (testId === undefined || testId === this.testId) && this.collectLeaks(this.testFrame).length > 0) {
      await this.endTest(this.testId);
    }
  }

  /**
   * Rolls the test back. Leftovers are reported after the connection is restored: runners the
   * test left unreleased and transactions it left open are fenced (later use fails) and their
   * waiting statements rejected, so nothing of this test runs inside the next one.
   *
   * @param testId the id `beginTest()` returned; a stale id (a timed-out test finishing late) is
   *   ignored. The default value is the current test.
   * @throws TestLeakError when the test leaked and `failOnLeaks` is on (the default).
   */
  async endTest(testId?: number): Promise<void> {
    const frame = this.testFrame;
    if (!frame || (testId !== undefined && testId !== this.testId)) return;
    this.testFrame = undefined;
    this.dataCopy = undefined;
    const title = this.scope?.title;
    this.scope?.end();
    if (this.destroyedUnderneath("endTest()")) {
      if (this.testLag) this.internals.context.lag?.endScope(this.testLag, true);
      this.testLag = undefined;
      return;
    }
    await this.settle();
    const leaks = this.collectLeaks(frame);
    await this.rollBack(frame, new Set(leaks.map((leak) => leak.client)));
    if (this.testLag) this.internals.context.lag?.endScope(this.testLag, true);
    this.testLag = undefined;
    if (leaks.length > 0 && this.options.failOnLeaks !== false) {
      throw new TestLeakError(
        leaks.map(({ client: _client, ...leak }) => leak),
        title,
      );
    }
  }

  /**
   * Rolls back the group's transaction, ending a test left open; destroys the DataSource if
   * `beginGroup()` initialized it. Runners and transactions the group's own hooks left open
   * (outside any test) are fenced and rolled back first, so the next group starts clean.
   *
   * @throws TestLeakError when the group's hooks leaked and `failOnLeaks` is on (the default).
   */
  async endGroup(): Promise<void> {
    const frame = this.groupFrame;
    if (!frame) return;
    if (this.testFrame) await this.endTest().catch(() => undefined);
    this.groupFrame = undefined;
    this.internals.context.isolatedGroups--;
    if (this.destroyedUnderneath("endGroup()")) {
      this.groupLag = undefined;
      this.internals.connection.closeFrame(frame, "not opened");
      this.harness = undefined;
      this.data = undefined;
      this.initializedHere = false;
      return;
    }
    // Runners a test's late work created belong to that test (their statements are refused): fenced, not reported.
    for (const runner of this.internals.context.openRunners) if (runner.state.scope?.isEnded) runner.fence(ENDED);
    const leaks = this.collectLeaks(frame, this.runnersBeforeGroup, (runner) => runner.state.scope === undefined);
    try {
      await this.rollBack(frame, new Set(leaks.map((leak) => leak.client)));
      if (this.groupLag) this.internals.context.lag?.endScope(this.groupLag, true);
    } finally {
      this.groupLag = undefined;
      await this.harness?.release();
      this.harness = undefined;
      this.data = undefined;
      if (this.initializedHere && this.dataSource.isInitialized) await this.dataSource.destroy();
      this.initializedHere = false;
    }
    if (leaks.length > 0 && this.options.failOnLeaks !== false) {
      throw new TestLeakError(
        leaks.map(({ client: _client, ...leak }) => leak),
        "the group's before/after hooks",
      );
    }
  }

  /**
   * What is left open above `frame`: application transactions, and runners created after runner
   * `since` that `owns` (by default, those of the current test; a runner an earlier test's late
   * work created is that test's, and its statements are refused).
   */
  private collectLeaks(
    frame: TransactionFrame,
    since = this.runnersBeforeTest,
    owns = (runner: ExecutorRunner) => runner.state.scope === undefined || runner.state.scope.testId === this.testId,
  ): (TestLeak & { client: ConnectionClient })[] {
    const leaks: (TestLeak & { client: ConnectionClient })[] = [];
    const describe = (kind: TestLeak["kind"], client: ConnectionClient) => ({
      kind,
      runnerId: client.runnerId,
      runner: client.describe(),
      creationSite: client.creationSite,
      client,
    });
    const openTransactions = this.internals.connection.openFrames.filter(
      (open) => open.kind === "application" && frame.isOpen && open.depth > frame.depth,
    );
    for (const open of openTransactions) leaks.push(describe("transaction", open.owner));
    for (const runner of this.internals.context.openRunners) {
      if (runner.runnerId > since && owns(runner) && !leaks.some((leak) => leak.client === runner)) {
        leaks.push(describe("runner", runner));
      }
    }
    return leaks;
  }

  /**
   * Lets the statements of runners still open settle: each turn waits until no statement is
   * executing, then one turn of the event loop, so work queued behind it (siblings of a rejected
   * `Promise.all`, TypeORM releasing their runners) can finish. Bounded: work that waits for
   * something that never comes is a leak, reported as such.
   */
  private async settle(): Promise<void> {
    const connection = this.internals.connection;
    for (let turn = 0; turn < SETTLE_TURNS && this.hasWorkInFlight(); turn++) {
      await connection.whenIdle();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private hasWorkInFlight(): boolean {
    for (const runner of this.internals.context.openRunners) if (runner.state.pending > 0) return true;
    return false;
  }

  /**
   * True when the DataSource was destroyed under the running group (for example by a NestJS
   * `app.close()` in a hook that ran before this one): there is nothing left to roll back, and the
   * hook order is worth a warning.
   */
  private destroyedUnderneath(hook: string): boolean {
    if (this.internals.context.lifecycle() !== "destroyed") return false;
    process.emitWarning(
      `typeorm-shared-replication: TestIsolation.${hook} ran after the SharedReplicationDataSource was destroyed; nothing was left to roll back. ` +
        "Destroy the DataSource (or close the app that owns it) in a hook that runs after the library's: register it after useTransactionalTests / transactionalRootHooks.",
      { code: HOOK_ORDER_WARNING },
    );
    return true;
  }

  private async rollBack(frame: TransactionFrame, leaked: Set<ConnectionClient>): Promise<void> {
    const connection = this.internals.connection;
    if (leaked.size > 0) {
      connection.lock.rejectWaiters(
        (client) => leaked.has(client),
        (client) => new QueryRunnerReleasedError(client.runnerId, client.role, "query", ENDED),
      );
      for (const client of leaked) client.fence(ENDED);
    }
    await connection.whenIdle();
    if (!frame.isOpen) connection.closeFrame(frame, "not opened");
    else {
      const { statements, outcome } = connection.endSql(frame, "rollback");
      for (const sql of statements) await this.harness!.executeFrameStatement(sql);
      connection.closeFrame(frame, outcome);
    }
    // What a rollback does not undo (SQLite PRAGMAs, ATTACHes) goes back as it was.
    for (const restore of connection.takeSessionChanges(frame)) await this.harness!.executeInternal(restore);
  }
}
