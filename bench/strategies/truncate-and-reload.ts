import { TruncatingTestLifecycle, type SharedReplicationDataSource } from "../../src";
import { sharedDataSource } from "../workload/bench-data-sources";
import { loadFixtures, type FixtureIds } from "../workload/fixtures";
import type { TestBody } from "../workload/test-bodies";
import type { Strategy, StrategyDefinition, StrategyOptions } from "./strategy";

/** Strategy 2: the library's TruncatingTestCase core: fixtures loaded before, every table emptied after, each test. */
export class TruncateAndReload implements Strategy {
  private dataSource: SharedReplicationDataSource | undefined;
  private lifecycle: TruncatingTestLifecycle<FixtureIds> | undefined;
  private testNumber = 0;

  constructor(private readonly options: StrategyOptions) {}

  async beginGroup(): Promise<void> {
    this.dataSource = sharedDataSource(this.options.engine, this.options.server, this.options.settings);
    this.lifecycle = new TruncatingTestLifecycle(this.dataSource, {
      setUpTestData: (manager) => loadFixtures(manager, this.options.fixtureRows),
    });
    await this.lifecycle.beginGroup();
  }

  async runTest(body: TestBody): Promise<void> {
    const lifecycle = this.lifecycle!;
    const testId = await lifecycle.beginTest();
    try {
      await body(this.dataSource!, lifecycle.testData, this.testNumber++);
    } finally {
      await lifecycle.endTest(testId);
    }
  }

  async endGroup(): Promise<void> {
    await this.lifecycle?.endGroup();
  }
}

export const truncateAndReload: StrategyDefinition = {
  id: "2",
  name: "truncate every table + reload fixtures per test (TruncatingTestLifecycle)",
  shortName: "truncate + reload fixtures",
  create: (options) => new TruncateAndReload(options),
};
