import type { DataSource, EntityManager } from "typeorm";
import { internalsOf, type DataSourceInternals } from "../data-source/data-source-internals";
import { SharedReplicationError } from "../errors/shared-replication-error";
import type { TestLifecycle } from "./test-lifecycle";
import { TestScope } from "./test-scope";
import { beginLagScope, commitForLaggingReplicas, dropLagCopies } from "./lag-scope";
import type { LagSnapshot } from "../replication/lag/lagging-replicas";

/** Options of {@link TruncatingTestLifecycle}. */
export interface TruncatingTestLifecycleOptions<TData> {
  /** Creates fixtures before every test (committed for real). The default value is `undefined`. */
  readonly setUpTestData?: (manager: EntityManager) => TData | Promise<TData>;
}

/**
 * The lifecycle for tests that need real commits: nothing is rolled back; after each test every
 * table is emptied (whatever its foreign keys, sequences reset) and `setUpTestData` runs again
 * before the next. Django's `TransactionTestCase`; much slower than {@link TestIsolation}.
 *
 * On a real server, a DataSource otherwise runs in a session transaction that is never committed.
 * While a truncating group runs, its DataSource has none: every statement commits as in
 * production, other connections see the rows, and the locks of `TRUNCATE` end with it. A session
 * transaction already open (statements outside any test wrote) is rolled back first, as closing
 * the connection would; it begins again when the group ends. A transactional test group running
 * on the same DataSource (or on its shared connection) is refused: give truncating tests a
 * DataSource of their own.
 */
export class TruncatingTestLifecycle<TData = undefined> implements TestLifecycle<TData> {
  private data: TData | undefined;
  private testId = 0;
  private scope: TestScope | undefined;
  private inTest = false;
  private testLag: LagSnapshot | undefined;
  private initializedHere = false;
  private readonly internals: DataSourceInternals;

  constructor(
    readonly dataSource: DataSource,
    private readonly options: TruncatingTestLifecycleOptions<TData> = {},
  ) {
    const internals = internalsOf(dataSource);
    if (!internals) throw new SharedReplicationError("TruncatingTestLifecycle needs a SharedReplicationDataSource.");
    this.internals = internals;
  }

  get testData(): TData {
    return this.data as TData;
  }

  async beginGroup(): Promise<void> {
    if (!this.dataSource.isInitialized) {
      await this.dataSource.initialize();
      this.initializedHere = true;
    }
    await this.leaveSession();
  }

  async beginTest(title?: string): Promise<number> {
    // Again: a DataSource destroyed and initialized since has begun a new session transaction.
    await this.leaveSession();
    this.inTest = true;
    if (this.options.setUpTestData) this.data = await this.options.setUpTestData(this.dataSource.manager);
    this.testLag = await beginLagScope(this.internals, this.internals.createHarnessRunner());
    this.scope = new TestScope(++this.testId, title);
    return this.testId;
  }

  /** Runs the test's body in its async scope: work it leaves running fails once the test ended, instead of committing into the next. */
  runInTest<T>(testId: number, body: () => T): T {
    const scope = this.scope;
    return scope && scope.testId === testId ? scope.run(body) : body();
  }

  async assertNoLeaks(): Promise<void> {}

  async endTest(testId?: number): Promise<void> {
    if (!this.inTest || (testId !== undefined && testId !== this.testId)) return;
    this.inTest = false;
    this.data = undefined;
    this.scope?.end();
    await this.emptyTables();
    await commitForLaggingReplicas(this.internals, this.internals.createHarnessRunner());
    // The truncation committed: replicas keep what they applied, and the test's lag setting is undone.
    if (this.testLag) this.internals.context.lag?.endScope(this.testLag, false);
    this.testLag = undefined;
  }

  async endGroup(): Promise<void> {
    await this.endTest();
    if (this.initializedHere && this.dataSource.isInitialized) await this.dataSource.destroy();
    // What runs on the DataSource after the group is never committed again.
    else if (this.dataSource.isInitialized && this.internals.engine.persistent) {
      await dropLagCopies(this.internals, this.internals.createHarnessRunner());
      this.internals.connection.beginSession(this.internals.createHarnessRunner());
    }
    this.initializedHere = false;
  }

  /**
   * Ends the session transaction of a persistent database (see the class's notes), so what runs
   * next commits. One still deferred is opened to be ended, as the connection offers no other way
   * to end it: two statements per group.
   */
  private async leaveSession(): Promise<void> {
    const { connection, context, engine } = this.internals;
    if (!engine.persistent || !this.dataSource.isInitialized) return;
    if (context.isolatedGroups > 0 || connection.isShared) {
      throw new SharedReplicationError(
        "TruncatingTestLifecycle (TruncatingTestCase) commits for real, but its DataSource " +
          (connection.isShared ? "shares its connection with another DataSource" : "is running a transactional test group") +
          ", inside whose transaction nothing is committed on a real server. Give the truncating tests a SharedReplicationDataSource " +
          "of their own, not the one of useTransactionalTests, TransactionalTestCase or transactionalRootHooks.",
      );
    }
    if (!connection.hasDeferredFrames && !connection.hasOpenFrames) return;
    await connection.whenIdle();
    const runner = this.internals.createHarnessRunner();
    try {
      if (connection.hasDeferredFrames) await connection.openDeferredFrames((sql) => runner.executeFrameStatement(sql));
      const session = connection.openFrames[0];
      // Anything else at the bottom is a transaction the application left open: its own.
      if (!session?.ambient) return;
      const { statements, outcome } = connection.endSql(session, "rollback");
      for (const sql of statements) await runner.executeFrameStatement(sql);
      connection.closeFrame(session, outcome);
      // Lagging replicas' copies were built in it: rolled back, the next test builds them again, committed.
      context.lag?.copiesLost();
    } finally {
      await runner.release();
    }
  }

  /** Empties every entity table (views excluded). */
  async emptyTables(): Promise<void> {
    const tablePaths = this.dataSource.entityMetadatas
      .filter((metadata) => metadata.tableType !== "view" && metadata.tableType !== "entity-child")
      .map((metadata) => metadata.tablePath);
    const tables = tablePaths.map((tablePath) => this.dataSource.driver.escape(tablePath));
    const runner = this.internals.createHarnessRunner();
    try {
      await this.internals.engine.emptyTables((sql) => runner.executeInternal(sql, "data"), [...new Set(tables)]);
      for (const tablePath of tablePaths) this.internals.sequences.restart(tablePath);
    } finally {
      await runner.release();
    }
  }
}
