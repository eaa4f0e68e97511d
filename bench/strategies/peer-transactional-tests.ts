import type { DataSource } from "typeorm";
import { TransactionalTestContext } from "typeorm-transactional-tests";
import { plainDataSource } from "../workload/bench-data-sources";
import { loadFixtures, type FixtureIds } from "../workload/fixtures";
import type { TestBody } from "../workload/test-bodies";
import type { Strategy, StrategyDefinition, StrategyOptions } from "./strategy";

/**
 * Strategy 5: the peer library typeorm-transactional-tests, as its README uses it: a
 * TransactionalTestContext started before and finished after each test, on the application's own
 * DataSource. It has no notion of replicas: it pins every runner to one master runner, so it runs
 * on TypeORM's plain SQLite DataSource (fixtures committed once per group).
 */
export class PeerTransactionalTests implements Strategy {
  private dataSource: DataSource | undefined;
  private fixtures: FixtureIds | undefined;
  private testNumber = 0;

  constructor(private readonly options: StrategyOptions) {}

  async beginGroup(): Promise<void> {
    this.dataSource = plainDataSource(this.options.engine, this.options.server);
    await this.dataSource.initialize();
    this.fixtures = await loadFixtures(this.dataSource.manager, this.options.fixtureRows);
  }

  async runTest(body: TestBody): Promise<void> {
    const context = new TransactionalTestContext(this.dataSource!);
    await context.start();
    try {
      await body(this.dataSource!, this.fixtures!, this.testNumber++);
    } finally {
      await context.finish();
    }
  }

  async endGroup(): Promise<void> {
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }
}

export const peerTransactionalTests: StrategyDefinition = {
  id: "5",
  name: "peer typeorm-transactional-tests (plain SQLite DataSource)",
  shortName: "typeorm-transactional-tests",
  create: (options) => new PeerTransactionalTests(options),
};
