import type { SharedReplicationDataSource } from "../../src";
import { sharedDataSource } from "../workload/bench-data-sources";
import { loadFixtures } from "../workload/fixtures";
import type { TestBody } from "../workload/test-bodies";
import type { Strategy, StrategyDefinition, StrategyOptions } from "./strategy";

/** Strategy 3: before each test, drop every table, synchronise the schema again and reload the fixtures. */
export class ResynchronizeSchema implements Strategy {
  private dataSource: SharedReplicationDataSource | undefined;
  private testNumber = 0;

  constructor(private readonly options: StrategyOptions) {}

  async beginGroup(): Promise<void> {
    this.dataSource = sharedDataSource(this.options.engine, this.options.server, this.options.settings);
    await this.dataSource.initialize();
  }

  async runTest(body: TestBody): Promise<void> {
    const dataSource = this.dataSource!;
    await dataSource.synchronize(true);
    const fixtures = await loadFixtures(dataSource.manager, this.options.fixtureRows);
    await body(dataSource, fixtures, this.testNumber++);
  }

  async endGroup(): Promise<void> {
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }
}

export const resynchronizeSchema: StrategyDefinition = {
  id: "3",
  name: "drop + re-synchronise the schema + reload fixtures per test",
  shortName: "drop + re-sync schema + reload",
  create: (options) => new ResynchronizeSchema(options),
};
