import type { DataSource, EntityManager } from "typeorm";
import { internalsOf, type DataSourceInternals } from "../data-source/data-source-internals";
import { SharedReplicationError } from "../errors/shared-replication-error";
import type { TestLifecycle } from "./test-lifecycle";
import { TestScope } from "./test-scope";

/** Options of {@link TruncatingTestLifecycle}. */
export interface TruncatingTestLifecycleOptions<TData> {
  /** Creates fixtures before every test (committed for real). The default value is `undefined`. */
  readonly setUpTestData?: (manager: EntityManager) => TData | Promise<TData>;
}

/**
 * The lifecycle for tests that need real commits: nothing is rolled back; after each test every
 * table is emptied (whatever its foreign keys, sequences reset) and `setUpTestData` runs again
 * before the next. Django's `TransactionTestCase`; much slower than {@link TestIsolation}.
 */
export class TruncatingTestLifecycle<TData = undefined> implements TestLifecycle<TData> {
  private data: TData | undefined;
  private testId = 0;
  private scope: TestScope | undefined;
  private inTest = false;
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
    if (this.dataSource.isInitialized) return;
    await this.dataSource.initialize();
    this.initializedHere = true;
  }

  async beginTest(title?: string): Promise<number> {
    this.inTest = true;
    if (this.options.setUpTestData) this.data = await this.options.setUpTestData(this.dataSource.manager);
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
  }

  async endGroup(): Promise<void> {
    await this.endTest();
    if (this.initializedHere && this.dataSource.isInitialized) await this.dataSource.destroy();
    this.initializedHere = false;
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
