import { expect } from "chai";
import { AsyncResource } from "node:async_hooks";
import { EventSubscriber, type EntitySubscriberInterface } from "typeorm";
import { createTestDataSource } from "../ormconfig.test";
import { QueryAssertionError, assertNumQueries, assertQueries, useTransactionalTests } from "../src";
import { Author } from "./fixtures/blog-entities";
import { Item } from "./fixtures/item-entity";
import { rejectionOf, sleep } from "./support/capture-error";
import { harnessDataSource } from "./support/test-data-source";

const items = () => harnessDataSource.getRepository(Item);
const values = async () => (await items().find({ order: { value: "ASC" } })).map((item) => item.value);

describe("useTransactionalTests", () => {
  const tests = useTransactionalTests(harnessDataSource, {
    setUpTestData: async (manager) => ({ carol: await manager.save(manager.create(Author, { name: "carol" })) }),
  });

  describe("leak canaries", () => {
    it("should keep a row inserted by the first test inside it", async () => {
      await items().insert({ value: 1 });
      expect(await values()).to.deep.equal([1]);
    });

    it("should find the table empty in the next test", async () => {
      expect(await values()).to.deep.equal([]);
      await items().insert({ value: 2 });
    });

    it("should find it empty again after that", async () => {
      expect(await values()).to.deep.equal([]);
    });
  });

  describe("setUpTestData", () => {
    it("should give each test the fixture rows and a fresh copy", async () => {
      expect(tests.testData.carol).to.be.instanceOf(Author);
      tests.testData.carol.name = "changed";
      expect(tests.testData.carol.name).to.equal("changed");
      await harnessDataSource.getRepository(Author).save(tests.testData.carol);
    });

    it("should restore the rows and the copy after a test changed them", async () => {
      expect(tests.testData.carol.name).to.equal("carol");
      expect((await harnessDataSource.getRepository(Author).find()).map((a) => a.name)).to.deep.equal(["carol"]);
    });
  });

  describe("application transactions inside a test", () => {
    it("should undo an inner rollback only and show the outer commit to replica reads", async () => {
      const replica = harnessDataSource.createQueryRunner("slave");
      await harnessDataSource.transaction(async (outer) => {
        await outer.insert(Item, { value: 1 });
        await harnessDataSource
          .transaction(async (inner) => {
            await inner.insert(Item, { value: 2 });
            throw new Error("inner fails");
          })
          .catch(() => undefined);
        await outer.transaction(async (nested) => {
          await nested.insert(Item, { value: 3 });
        });
      });
      expect((await replica.query("SELECT value FROM item ORDER BY value")).map((r: { value: number }) => r.value)).to.deep.equal([1, 3]);
      await replica.release();
    });

    it("should give a manual runner's commit and rollback production semantics", async () => {
      const runner = harnessDataSource.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      await runner.manager.insert(Item, { value: 10 });
      await runner.rollbackTransaction();
      await runner.startTransaction("READ COMMITTED");
      await runner.manager.insert(Item, { value: 11 });
      await runner.commitTransaction();
      await runner.release();
      expect(await values()).to.deep.equal([11]);
    });

    it("should keep 50 concurrent flows, each with its own transaction, correct", async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          harnessDataSource.transaction(async (manager) => {
            await manager.insert(Item, { value: i });
            await sleep(i % 3);
            await manager.insert(Item, { value: 1000 + i });
            return manager.count(Item);
          }),
        ),
      );
      expect(new Set(results).size).to.equal(50);
      expect(await items().count()).to.equal(100);
    });

    it("should have left nothing of any of that", async () => {
      expect(await items().count()).to.equal(0);
    });
  });

  describe("query assertions", () => {
    it("should count data statements by role, without transaction control or the harness's own", async () => {
      await assertQueries(harnessDataSource, { master: 1, slave: 1, total: 2 }, async () => {
        await items().insert({ value: 1 });
        await items().findOneBy({ value: 1 });
      });
      // save()'s own transaction: its SAVEPOINT and the INSERT; the commit leaves the savepoint to the test's rollback.
      await assertNumQueries(harnessDataSource, 2, () => items().save({ value: 2 }), { includeTransactionControl: true });
    });

    it("should fail listing every captured statement with its role and replica", async () => {
      const error = await rejectionOf(assertQueries(harnessDataSource, { slave: 0 }, () => items().find()));
      expect(error).to.be.instanceOf(QueryAssertionError);
      const message = (error as Error).message;
      expect(message).to.contain("Expected slave 0 queries, got master 0, slave 1, total 1");
      expect(message).to.match(/1\. \[slave replica \d\] SELECT/);
    });

    it("should count statements of other async contexts, such as HTTP handlers", async () => {
      const inHandler = AsyncResource.bind(() => items().count());
      await assertNumQueries(harnessDataSource, 1, () => new Promise((resolve) => setImmediate(() => resolve(inHandler()))));
    });
  });
});

describe("subscribers inside a rolled-back test", () => {
  const fired: string[] = [];

  @EventSubscriber()
  class CommitEvents implements EntitySubscriberInterface {
    afterTransactionCommit() {
      fired.push("commit");
    }
    afterTransactionRollback() {
      fired.push("rollback");
    }
  }

  const dataSource = createTestDataSource({}, { entities: [Item], subscribers: [CommitEvents] });
  useTransactionalTests(dataSource);

  it("should fire afterTransactionCommit and afterTransactionRollback when the app's transactions end", async () => {
    fired.length = 0;
    await dataSource.transaction((manager) => manager.insert(Item, { value: 1 }));
    await dataSource.transaction(() => Promise.reject(new Error("no"))).catch(() => undefined);
    expect(fired).to.deep.equal(["commit", "rollback"]);
  });
});

describe("useTransactionalTests with an afterEach hook registered after it", () => {
  useTransactionalTests(harnessDataSource);
  // Registered after the library's: it must still run inside the test's savepoint.
  afterEach(() => harnessDataSource.getRepository(Item).insert({ value: 100 }));

  it("should run a test whose afterEach hook writes", async () => {
    expect(await values()).to.deep.equal([]);
  });

  it("should find no row the previous test's afterEach hook wrote", async () => {
    expect(await values()).to.deep.equal([]);
  });
});
