import { expect } from "chai";
import { DataSource, type DataSourceOptions } from "typeorm";
import { createTestDataSource } from "../ormconfig.test";
import { type IsolationLevel, type SharedQueryRunner, useTransactionalTests } from "../src";
import { Item } from "./fixtures/item-entity";
import { testCombination } from "./support/test-combination";

// `isolationLevel` is a 1.x option (0.3 does not type it); 1.x validates it against the inner driver on initialize.
const dataSource = createTestDataSource({}, { entities: [Item], isolationLevel: "READ COMMITTED" } as Partial<DataSourceOptions>);
const values = async () => (await dataSource.getRepository(Item).find({ order: { value: "ASC" } })).map((item) => item.value);

// What differs between TypeORM 0.3 and 1.x, seen from an application: the same behaviour on both.
describe(`TypeORM ${testCombination.typeorm} with ${testCombination.engine}`, () => {
  useTransactionalTests(dataSource);

  it("should be the DataSource class of the TypeORM the application imports", async () => {
    expect(dataSource).to.be.instanceOf(DataSource);
    const runner = dataSource.createQueryRunner();
    expect(runner.manager.connection).to.equal(dataSource);
    await runner.release();
  });

  it("should accept the application's isolationLevel option and each standard level, as production servers do", async () => {
    for (const level of ["READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"] as IsolationLevel[]) {
      await dataSource.transaction(level, (manager) => manager.insert(Item, { value: 1 }));
    }
    expect(await dataSource.getRepository(Item).count()).to.equal(4);
  });

  describe("await using", () => {
    it("should commit the runner's own transaction, savepoints included, and release the runner", async () => {
      const replica = dataSource.createQueryRunner("slave");
      let disposed: SharedQueryRunner;
      {
        // 1.x types QueryRunner as AsyncDisposable; 0.3's types do not, its runtime runner here does.
        await using runner = dataSource.createQueryRunner() as SharedQueryRunner & AsyncDisposable;
        disposed = runner;
        await runner.startTransaction();
        await runner.manager.insert(Item, { value: 1 });
        await runner.startTransaction();
        await runner.manager.insert(Item, { value: 2 });
      }
      expect(disposed.isReleased).to.equal(true);
      expect(disposed.isTransactionActive).to.equal(false);
      expect((await replica.query("SELECT value FROM item ORDER BY value")).map((r: { value: number }) => r.value)).to.deep.equal([1, 2]);
      await replica.release();
    });

    it("should release a runner without a transaction and leave the connection free", async () => {
      let disposed: SharedQueryRunner;
      {
        await using runner = dataSource.createQueryRunner() as SharedQueryRunner & AsyncDisposable;
        disposed = runner;
        await runner.manager.insert(Item, { value: 3 });
      }
      expect(disposed.isReleased).to.equal(true);
      await dataSource.transaction((manager) => manager.insert(Item, { value: 4 }));
      expect(await values()).to.deep.equal([3, 4]);
    });

    it("should never have committed the test's own transaction", async () => {
      expect(await values()).to.deep.equal([]);
    });
  });
});
