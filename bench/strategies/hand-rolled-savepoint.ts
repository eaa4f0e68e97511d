import type { DataSource, QueryRunner } from "typeorm";
import { plainDataSource } from "../workload/bench-data-sources";
import { loadFixtures, type FixtureIds } from "../workload/fixtures";
import type { TestBody } from "../workload/test-bodies";
import type { Strategy, StrategyDefinition, StrategyOptions } from "./strategy";

const SAVEPOINT = "bench_test";

/**
 * Strategy 6, the floor: TypeORM's plain DataSource with no library (no lock, no log, no guard),
 * every test wrapped by hand in SAVEPOINT / ROLLBACK TO on the one runner, inside a transaction
 * that holds the group's fixtures: two statements per test. Like TypeORM's own nested rollback it
 * never releases the savepoint (`releaseSavepoint` adds the RELEASE the library sends).
 *
 * TypeORM's SQLite driver hands out one runner already. On Postgres every `createQueryRunner()`
 * would take another pooled connection, so the DataSource's factory is pinned to one runner.
 */
export class HandRolledSavepoint implements Strategy {
  private dataSource: DataSource | undefined;
  private runner: QueryRunner | undefined;
  private fixtures: FixtureIds | undefined;
  private testNumber = 0;

  constructor(
    private readonly options: StrategyOptions,
    private readonly releaseSavepoint = false,
  ) {}

  async beginGroup(): Promise<void> {
    const dataSource = plainDataSource(this.options.engine, this.options.server);
    this.dataSource = dataSource;
    await dataSource.initialize();
    const runner = dataSource.createQueryRunner();
    this.runner = runner;
    if (this.options.engine !== "sqlite") pinRunner(dataSource, runner);
    await runner.startTransaction();
    this.fixtures = await loadFixtures(dataSource.manager, this.options.fixtureRows);
  }

  async runTest(body: TestBody): Promise<void> {
    const runner = this.runner!;
    await runner.query(`SAVEPOINT ${SAVEPOINT}`);
    try {
      await body(this.dataSource!, this.fixtures!, this.testNumber++);
    } finally {
      await runner.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      if (this.releaseSavepoint) await runner.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    }
  }

  async endGroup(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (runner?.isTransactionActive) await runner.rollbackTransaction();
    if (runner) await Object.getPrototypeOf(runner).release.call(runner);
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }
}

/** Makes every runner the DataSource hands out `runner`, and its release a no-op until the group ends. */
function pinRunner(dataSource: DataSource, runner: QueryRunner): void {
  dataSource.createQueryRunner = () => runner;
  runner.release = async () => undefined;
}

export const handRolledSavepoint: StrategyDefinition = {
  id: "6",
  name: "floor: plain TypeORM, SAVEPOINT / ROLLBACK TO by hand",
  shortName: "floor: plain TypeORM + savepoint",
  create: (options) => new HandRolledSavepoint(options),
};

/** The floor with the RELEASE the library sends after ROLLBACK TO, so savepoints do not pile up. */
export const handRolledSavepointReleased: StrategyDefinition = {
  id: "6+",
  name: "floor + RELEASE after ROLLBACK TO",
  shortName: "floor + RELEASE",
  create: (options) => new HandRolledSavepoint(options, true),
};
