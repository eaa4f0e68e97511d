import { expect } from "chai";
import { DataSource, type DataSourceOptions, type EntityManager, type QueryRunner } from "typeorm";
import { SharedReplicationDataSource } from "../src";
import { Item } from "./fixtures/item-entity";
import { plainInMemoryOptions, testCombination } from "./support/test-combination";

/** What a spy wrapped around a runner's `query()` saw, and TypeORM's nesting depth after each step. */
interface Observed {
  readonly statements: string[];
  readonly depths: number[];
}

const TRANSACTION_CONTROL = /^\s*(BEGIN|START|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA read_uncommitted|SET TRANSACTION)/i;

/** Wraps `runner.query` as instrumentation does (the instance's own property, calling the original). */
function spyOn(runner: QueryRunner, statements: string[]): QueryRunner {
  const original = runner.query.bind(runner);
  runner.query = ((sql: string, ...rest: unknown[]) => {
    if (TRANSACTION_CONTROL.test(sql)) statements.push(sql);
    return (original as (...args: unknown[]) => Promise<unknown>)(sql, ...rest);
  }) as QueryRunner["query"];
  return runner;
}

const depthOf = (runner: QueryRunner) => (runner as unknown as { transactionDepth: number }).transactionDepth;

/** Nested begin/commit/rollback on one manual runner, as an application writes it. */
async function manualNesting(dataSource: DataSource): Promise<Observed> {
  const observed: Observed = { statements: [], depths: [] };
  const runner = spyOn(dataSource.createQueryRunner(), observed.statements);
  const step = async (action: () => Promise<void>) => {
    await action();
    observed.depths.push(depthOf(runner));
  };
  try {
    await step(() => runner.startTransaction());
    await step(() => runner.manager.insert(Item, { value: 1 }).then(() => undefined));
    await step(() => runner.startTransaction());
    await step(() => runner.rollbackTransaction());
    await step(() => runner.startTransaction());
    await step(() => runner.startTransaction());
    await step(() => runner.commitTransaction());
    await step(() => runner.commitTransaction());
    await step(() => runner.commitTransaction());
  } finally {
    await runner.release();
  }
  return observed;
}

/** `dataSource.transaction()` with a nested `manager.transaction()`, spied on every runner the DataSource creates. */
async function callbackNesting(dataSource: DataSource): Promise<Observed> {
  const observed: Observed = { statements: [], depths: [] };
  const create = dataSource.createQueryRunner.bind(dataSource);
  dataSource.createQueryRunner = ((...args: Parameters<DataSource["createQueryRunner"]>) =>
    spyOn(create(...args), observed.statements)) as DataSource["createQueryRunner"];
  try {
    await dataSource.transaction(async (manager: EntityManager) => {
      await manager.insert(Item, { value: 1 });
      await manager.transaction((inner) => inner.insert(Item, { value: 2 }));
      await manager
        .transaction(async (inner) => {
          await inner.insert(Item, { value: 3 });
          throw new Error("roll the inner one back");
        })
        .catch(() => undefined);
    });
  } finally {
    dataSource.createQueryRunner = create;
  }
  return observed;
}

/**
 * The oracle: a plain TypeORM DataSource on the same driver, as a SQLite application runs in
 * production. The shared runner subclasses that driver's runner, so a spy on `query()` must see what
 * TypeORM's own runner sends, in the same order, with the same `transactionDepth`.
 */
describe("TypeORM's runner protocol", () => {
  const plainOptions = { ...plainInMemoryOptions(testCombination.engine), entities: [Item], synchronize: true } as DataSourceOptions;
  const applications: [string, DataSourceOptions][] = [
    ["a SQLite application", { type: plainOptions.type, entities: [Item] } as DataSourceOptions],
    ["a Postgres application on SQLite", { type: "postgres", entities: [Item], host: "db.internal" } as DataSourceOptions],
  ];
  let plain: DataSource;

  before(async () => {
    plain = await new DataSource(plainOptions).initialize();
  });

  after(async () => {
    await plain.destroy();
  });

  for (const [what, options] of applications) {
    describe(what, () => {
      let shared: SharedReplicationDataSource;

      beforeEach(async () => {
        shared = await new SharedReplicationDataSource(options, { engine: testCombination.engine }).initialize();
      });

      afterEach(async () => {
        await shared.destroy();
      });

      it("should pass BEGIN, SAVEPOINT, RELEASE, ROLLBACK TO and COMMIT of a manual runner through query(), as TypeORM's runner does", async () => {
        const expected = await manualNesting(plain);
        const actual = await manualNesting(shared);
        expect(actual.statements).to.deep.equal(expected.statements);
        expect(actual.statements).to.have.length(8);
      });

      it("should count transactionDepth as TypeORM's runner does", async () => {
        const expected = await manualNesting(plain);
        const actual = await manualNesting(shared);
        expect(actual.depths).to.deep.equal(expected.depths);
        expect(actual.depths).to.deep.equal([1, 1, 2, 1, 2, 3, 2, 1, 0]);
      });

      it("should pass the statements of dataSource.transaction() and nested manager.transaction() through query()", async () => {
        const expected = await callbackNesting(plain);
        const actual = await callbackNesting(shared);
        expect(actual.statements).to.deep.equal(expected.statements);
        expect(actual.statements).to.include("COMMIT");
      });

      it("should still run the transactions on the shared connection: the committed rows are there, the rolled-back one is not", async () => {
        await callbackNesting(shared);
        const rows = await shared.getRepository(Item).find({ order: { value: "ASC" } });
        expect(rows.map((row) => row.value)).to.deep.equal([1, 2]);
      });
    });
  }
});
