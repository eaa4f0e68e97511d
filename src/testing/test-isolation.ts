import type { DataSource, EntityManager } from "typeorm";
import type { ConnectionClient } from "../connection/connection-client";
import type { TransactionFrame } from "../connection/shared-connection";
import { internalsOf, type DataSourceInternals } from "../data-source/data-source-internals";
import { QueryRunnerReleasedError } from "../errors/query-runner-released-error";
import { SharedReplicationError } from "../errors/shared-replication-error";
import { TestLeakError, type TestLeak } from "../errors/test-leak-error";
import type { SharedReplicationQueryRunner } from "../query-runner/define-shared-query-runner";
import { deepCopy } from "./deep-copy";
import type { TestLifecycle } from "./test-lifecycle";

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
  private harness: SharedReplicationQueryRunner | undefined;
  private data: TData | undefined;
  private dataCopy: { value: TData } | undefined;
  private runnersBeforeTest = 0;
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
    this.harness = this.internals.createHarnessRunner();
    this.groupFrame = this.internals.connection.deferAmbientFrame(this.harness);
    this.internals.context.isolatedGroups++;
    if (!this.options.setUpTestData) return;
    try {
      this.data = await this.options.setUpTestData(this.dataSource.manager);
    } catch (error) {
      await this.endGroup();
      throw error;
    }
  }

  /**
   * Opens the test's savepoint (lazily: no statement until the test first writes).
   *
   * @returns the test's id, for `endTest(id)`.
   */
  async beginTest(): Promise<number> {
    if (!this.groupFrame || !this.harness) throw new SharedReplicationError("beginTest() needs beginGroup() first.");
    if (this.testFrame) throw new SharedReplicationError("beginTest() was called twice; call endTest() first.");
    this.runnersBeforeTest = this.internals.context.lastRunnerId();
    this.testFrame = this.internals.connection.deferAmbientFrame(this.harness);
    this.dataCopy = undefined;
    return ++this.testId;
  }

  /**
   * Fails the running test now if it left a runner unreleased or a transaction open (restoring the
   * connection first); otherwise does nothing and `endTest()` rolls back later. Adapters call it at
   * the end of the test body, so a leak fails that test rather than an after-each hook.
   *
   * @throws TestLeakError when the test leaked and `failOnLeaks` is on (the default).
   */
  async assertNoLeaks(): Promise<void> {
    if (this.testFrame && this.collectLeaks(this.testFrame).length > 0) await this.endTest();
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
    const leaks = this.collectLeaks(frame);
    await this.rollBack(frame, new Set(leaks.map((leak) => leak.client)));
    if (leaks.length > 0 && this.options.failOnLeaks !== false) {
      throw new TestLeakError(leaks.map(({ client: _client, ...leak }) => leak));
    }
  }

  /** Rolls back the group's transaction, ending a test left open; destroys the DataSource if `beginGroup()` initialized it. */
  async endGroup(): Promise<void> {
    const frame = this.groupFrame;
    if (!frame) return;
    if (this.testFrame) await this.endTest().catch(() => undefined);
    this.groupFrame = undefined;
    this.internals.context.isolatedGroups--;
    await this.rollBack(frame, new Set());
    await this.harness?.release();
    this.harness = undefined;
    this.data = undefined;
    if (this.initializedHere && this.dataSource.isInitialized) await this.dataSource.destroy();
    this.initializedHere = false;
  }

  private collectLeaks(frame: TransactionFrame): (TestLeak & { client: ConnectionClient })[] {
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
      if (runner.runnerId > this.runnersBeforeTest && !leaks.some((leak) => leak.client === runner)) leaks.push(describe("runner", runner));
    }
    return leaks;
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
    if (!frame.isOpen) return connection.closeFrame(frame, "not opened");
    const { statements, outcome } = connection.endSql(frame, "rollback");
    for (const sql of statements) await this.harness!.executeInternal(sql);
    connection.closeFrame(frame, outcome);
  }
}
