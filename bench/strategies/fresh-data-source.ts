import { sharedDataSource } from "../workload/bench-data-sources";
import { loadFixtures } from "../workload/fixtures";
import type { TestBody } from "../workload/test-bodies";
import type { Strategy, StrategyDefinition, StrategyOptions } from "./strategy";

/** Strategy 4: a new DataSource per test: connect, create the schema, load the fixtures, destroy. */
export class FreshDataSource implements Strategy {
  private testNumber = 0;

  constructor(private readonly options: StrategyOptions) {}

  async beginGroup(): Promise<void> {}

  async runTest(body: TestBody): Promise<void> {
    const dataSource = sharedDataSource(this.options.engine, this.options.server, this.options.settings);
    await dataSource.initialize();
    try {
      const fixtures = await loadFixtures(dataSource.manager, this.options.fixtureRows);
      await body(dataSource, fixtures, this.testNumber++);
    } finally {
      await dataSource.destroy();
    }
  }

  async endGroup(): Promise<void> {}
}

export const freshDataSource: StrategyDefinition = {
  id: "4",
  name: "a fresh DataSource per test (schema + fixtures each time)",
  shortName: "fresh DataSource per test",
  create: (options) => new FreshDataSource(options),
};
