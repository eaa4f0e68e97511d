import { expect } from "chai";
import { DataSource, TypeORMError, type DataSourceOptions, type QueryRunner } from "typeorm";
import { SharedReplicationDataSource, SharedReplicationError, type IsolationLevel } from "../src";
import { Item } from "./fixtures/item-entity";
import { plainInMemoryOptions, testCombination } from "./support/test-combination";
import { rejectionOf } from "./support/capture-error";

const LEVELS: IsolationLevel[] = ["READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"];
const is1x = testCombination.typeorm === "1.x";

/** What starting a transaction did: the statements a spy on the runner's `query()` saw, or the error. */
async function startOutcome(dataSource: DataSource, level?: IsolationLevel): Promise<{ statements: string[] } | { error: string }> {
  const runner: QueryRunner = dataSource.createQueryRunner();
  const statements: string[] = [];
  const original = runner.query.bind(runner);
  runner.query = ((sql: string, ...rest: unknown[]) => {
    statements.push(sql);
    return (original as (...args: unknown[]) => Promise<unknown>)(sql, ...rest);
  }) as QueryRunner["query"];
  try {
    await runner.startTransaction(level);
    await runner.rollbackTransaction();
    return { statements };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  } finally {
    await runner.release();
  }
}

/** Runs `fn` on a plain TypeORM DataSource of the combination's driver and on a SharedReplicationDataSource, same options. */
async function onBoth<T>(extra: object, fn: (dataSource: DataSource) => Promise<T>): Promise<{ plain: T; shared: T }> {
  const plainOptions = { ...plainInMemoryOptions(testCombination.engine), entities: [Item], ...extra } as DataSourceOptions;
  const plain = await new DataSource(plainOptions).initialize();
  const shared = await new SharedReplicationDataSource(
    {
      type: plainOptions.type,
      entities: [Item],
      ...extra,
    } as DataSourceOptions,
    { engine: testCombination.engine },
  ).initialize();
  try {
    return { plain: await fn(plain), shared: await fn(shared) };
  } finally {
    await plain.destroy();
    await shared.destroy();
  }
}

describe("isolation levels by the rules of the production type", () => {
  describe("a SQLite application: TypeORM's SQLite rules and errors", () => {
    for (const level of [undefined, ...LEVELS]) {
      it(`should treat ${level ?? "no level"} as TypeORM's own SQLite runner does`, async () => {
        const { plain, shared } = await onBoth({}, (dataSource) => startOutcome(dataSource, level));
        expect(shared).to.deep.equal(plain);
        const accepted = level === undefined || level === "READ UNCOMMITTED" || level === "SERIALIZABLE";
        expect("statements" in shared).to.equal(accepted);
      });
    }

    it("should send PRAGMA read_uncommitted before BEGIN for READ UNCOMMITTED", async () => {
      const { shared } = await onBoth({}, (dataSource) => startOutcome(dataSource, "READ UNCOMMITTED"));
      expect(shared).to.deep.equal({ statements: ["PRAGMA read_uncommitted = true", "BEGIN TRANSACTION", "ROLLBACK"] });
    });

    for (const level of ["READ UNCOMMITTED", "READ COMMITTED"] as IsolationLevel[]) {
      it(`should ${is1x ? "apply" : "ignore"} the DataSource-level isolationLevel ${level} as TypeORM ${testCombination.typeorm} does`, async () => {
        const outcome = async (extra: object, shared: boolean) => {
          const plainOptions = { ...plainInMemoryOptions(testCombination.engine), entities: [Item], ...extra } as DataSourceOptions;
          const dataSource = shared
            ? new SharedReplicationDataSource({ type: plainOptions.type, entities: [Item], ...extra } as DataSourceOptions, {
                engine: testCombination.engine,
              })
            : new DataSource(plainOptions);
          const initialized = await dataSource.initialize().then(
            () => undefined,
            (error: Error) => `${error.constructor.name}: ${error.message}`,
          );
          if (initialized !== undefined) return { initialize: initialized };
          try {
            return await startOutcome(dataSource);
          } finally {
            await dataSource.destroy();
          }
        };
        const plain = await outcome({ isolationLevel: level }, false);
        const shared = await outcome({ isolationLevel: level }, true);
        expect(shared).to.deep.equal(plain);
        if (is1x && level === "READ COMMITTED") expect(shared).to.have.property("initialize").that.contains("not supported");
        if (is1x && level === "READ UNCOMMITTED")
          expect(shared).to.deep.equal({ statements: ["PRAGMA read_uncommitted = true", "BEGIN TRANSACTION", "ROLLBACK"] });
        if (!is1x) expect(shared).to.deep.equal({ statements: ["BEGIN TRANSACTION", "ROLLBACK"] });
      });
    }
  });

  describe("a Postgres application on SQLite: the levels Postgres accepts", () => {
    let dataSource: SharedReplicationDataSource;

    beforeEach(async () => {
      dataSource = await new SharedReplicationDataSource(
        { type: "postgres", entities: [Item] },
        { engine: testCombination.engine },
      ).initialize();
    });

    afterEach(async () => {
      await dataSource.destroy();
    });

    for (const level of LEVELS) {
      it(`should accept ${level} and run the transaction`, async () => {
        await dataSource.transaction(level, (manager) => manager.insert(Item, { value: 1 }));
        expect(await dataSource.getRepository(Item).count()).to.equal(1);
      });
    }

    it("should reject a level Postgres does not know", async () => {
      const error = await rejectionOf(dataSource.transaction("CHAOS" as IsolationLevel, async () => undefined));
      expect(error).to.be.instanceOf(SharedReplicationError);
      expect((error as Error).message).to.contain('Unknown isolation level "CHAOS"');
      // Nothing was left open: the next transaction runs.
      await dataSource.transaction((manager) => manager.insert(Item, { value: 2 }));
    });

    if (is1x) {
      it("should refuse a DataSource-level isolationLevel Postgres does not know on initialize(), as TypeORM 1.x does", async () => {
        const invalid = new SharedReplicationDataSource(
          {
            type: "postgres",
            entities: [Item],
            isolationLevel: "CHAOS",
          } as unknown as DataSourceOptions,
          { engine: testCombination.engine },
        );
        const error = await rejectionOf(invalid.initialize());
        expect(error).to.be.instanceOf(TypeORMError);
        expect((error as Error).message).to.equal("CHAOS isolation level is not supported");
        expect(invalid.isInitialized).to.equal(false);
      });
    }
  });
});
