import { TestIsolation, type SharedReplicationDataSource } from "../../src";
import { sharedDataSource } from "../workload/bench-data-sources";
import { loadFixtures, type FixtureIds } from "../workload/fixtures";
import type { TestBody } from "../workload/test-bodies";
import type { Strategy, StrategyDefinition, StrategyOptions } from "./strategy";

/** Strategy 1: this library's rollback core, as TransactionalTestCase drives it; fixtures once per group. */
export class PerTestRollback implements Strategy {
  private dataSource: SharedReplicationDataSource | undefined;
  private isolation: TestIsolation<FixtureIds> | undefined;
  private testNumber = 0;

  constructor(private readonly options: StrategyOptions) {}

  async beginGroup(): Promise<void> {
    this.dataSource = sharedDataSource(this.options.engine, this.options.server, this.options.settings);
    this.isolation = new TestIsolation(this.dataSource, { setUpTestData: (manager) => loadFixtures(manager, this.options.fixtureRows) });
    await this.isolation.beginGroup();
  }

  async runTest(body: TestBody): Promise<void> {
    const isolation = this.isolation!;
    const testId = await isolation.beginTest();
    try {
      await body(this.dataSource!, isolation.testData, this.testNumber++);
      await isolation.assertNoLeaks();
    } finally {
      await isolation.endTest(testId);
    }
  }

  async endGroup(): Promise<void> {
    await this.isolation?.endGroup();
  }
}

export const perTestRollback: StrategyDefinition = {
  id: "1",
  name: "per-test rollback (TestIsolation), fixtures once",
  shortName: "per-test rollback (this library)",
  create: (options) => new PerTestRollback(options),
};
