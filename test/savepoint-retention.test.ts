import { expect } from "chai";
import { createTestDataSource } from "../ormconfig.test";
import { TestIsolation, type SharedReplicationDataSource } from "../src";
import { Item } from "./fixtures/item-entity";
import { sleep } from "./support/capture-error";

/**
 * Savepoints that ended stay on the engine's stack until the frame below them ends (no RELEASE
 * per nested commit or per test rollback). These tests check that this changes nothing a
 * statement can see, and that the engine's stack stays bounded.
 */
describe("retained savepoints", () => {
  let dataSource: SharedReplicationDataSource;

  beforeEach(async () => {
    dataSource = createTestDataSource({}, { entities: [Item] });
    await dataSource.initialize();
  });

  afterEach(() => dataSource.destroy());

  const items = () => dataSource.getRepository(Item);
  /** Runs `body` inside a TestIsolation group, ending the group however `body` ends. */
  const inGroup = async (body: (isolation: TestIsolation) => Promise<void>) => {
    const isolation = new TestIsolation(dataSource);
    await isolation.beginGroup();
    try {
      await body(isolation);
    } finally {
      await isolation.endGroup();
    }
  };
  const insertAndRollBack = (value: number) =>
    items()
      .manager.transaction(async (manager) => {
        await manager.insert(Item, { value });
        throw new Error("roll back");
      })
      .catch(() => undefined);
  const values = async () => (await items().find({ order: { value: "ASC" } })).map((item) => item.value);
  const frameStatements = () =>
    dataSource.queryLog
      .entries()
      .filter((entry) => entry.kind === "transaction" && /typeorm_shared_\d|^(BEGIN|COMMIT|ROLLBACK)/.test(entry.sql))
      .map((entry) => entry.sql);

  /**
   * The deepest the engine's savepoint stack got, replayed from the logged statements as the
   * engines define them: RELEASE removes the named savepoint and all above it, ROLLBACK TO those
   * above it only.
   */
  const deepestSavepointStack = () => {
    const stack: string[] = [];
    let deepest = 0;
    for (const sql of frameStatements()) {
      const [, verb, name] = /^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) (\w+)$/.exec(sql) ?? [];
      if (verb === "SAVEPOINT") stack.push(name!);
      else if (verb === "RELEASE SAVEPOINT") stack.splice(stack.lastIndexOf(name!));
      else if (verb === "ROLLBACK TO SAVEPOINT") stack.splice(stack.lastIndexOf(name!) + 1);
      deepest = Math.max(deepest, stack.length);
    }
    return deepest;
  };

  it("should keep a committed nested transaction's rows, and undo them with the outer rollback", async () => {
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.manager.insert(Item, { value: 1 });
    await runner.manager.transaction(async (manager) => {
      await manager.insert(Item, { value: 2 });
    });
    await items().manager.transaction(async () => undefined);
    expect(await runner.manager.find(Item).then((rows) => rows.map((row) => row.value).sort())).to.deep.equal([1, 2]);
    await runner.rollbackTransaction();
    await runner.release();
    expect(await values()).to.deep.equal([]);
    expect(frameStatements().filter((sql) => sql.startsWith("RELEASE"))).to.deep.equal([]);
  });

  it("should commit every nested transaction's rows and keep the engine's savepoint stack bounded", async () => {
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    for (let value = 1; value <= 100; value++) await runner.manager.transaction((manager) => manager.insert(Item, { value }));
    await runner.commitTransaction();
    await runner.release();
    expect(await values()).to.have.length(100);
    // 100 transactions nested in one: a stack that grew per transaction would be 100 deep.
    expect(deepestSavepointStack()).to.be.within(2, 20);
  });

  it("should cost a writing test one SAVEPOINT and one ROLLBACK TO, and leave every test an empty table", async () => {
    const tests = 40;
    let inTests: string[] = [];
    await inGroup(async (isolation) => {
      for (let test = 1; test <= tests; test++) {
        await isolation.beginTest();
        expect(await values()).to.deep.equal([]);
        await items().insert({ value: test });
        await items().manager.transaction((manager) => manager.insert(Item, { value: test + 100 }));
        expect(await values()).to.deep.equal([test, test + 100]);
        await isolation.endTest();
      }
      inTests = frameStatements();
    });
    expect(await values()).to.deep.equal([]);
    const count = (pattern: RegExp) => inTests.filter((sql) => pattern.test(sql)).length;
    // Per test: its SAVEPOINT, the application transaction's, and one ROLLBACK TO; the rolled-back
    // savepoints are released together now and then.
    expect(count(/^ROLLBACK TO/)).to.equal(tests);
    expect(count(/^RELEASE/)).to.be.within(1, tests / 8);
    expect(deepestSavepointStack()).to.be.within(2, 24);
  });

  it("should open a new savepoint for the next test when something wrote after the last rollback", async () => {
    await inGroup(async (isolation) => {
      await isolation.beginTest();
      await items().insert({ value: 1 });
      await isolation.endTest();
      // Group-level work between tests (an after-each hook outside the test) belongs to the group.
      await items().insert({ value: 100 });
      await isolation.beginTest();
      await items().insert({ value: 2 });
      await isolation.endTest();
      await isolation.beginTest();
      expect(await values()).to.deep.equal([100]);
      await isolation.endTest();
    });
    expect(await values()).to.deep.equal([]);
  });

  // Inside a test the outer transaction is a savepoint whose commit sends nothing; it still waits its turn.
  it("should commit a transaction only after a nested one it started and did not await has ended", async () => {
    const order: string[] = [];
    await inGroup(async (isolation) => {
      await isolation.beginTest();
      let inner: Promise<unknown> | undefined;
      await dataSource.transaction(async (manager) => {
        await manager.insert(Item, { value: 1 });
        inner = dataSource.transaction(async (nested) => {
          await nested.insert(Item, { value: 2 });
          await sleep(30);
          await nested.insert(Item, { value: 3 });
          order.push("inner done");
        });
        await sleep(5);
      });
      order.push("outer committed");
      await inner;
      expect(order).to.deep.equal(["inner done", "outer committed"]);
      expect(await values()).to.deep.equal([1, 2, 3]);
      await isolation.endTest();
    });
  });

  it("should stay in step with the engine when the application rolls back to a savepoint of its own", async () => {
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.manager.insert(Item, { value: 1 });
    await runner.query("SAVEPOINT mine");
    // More committed nested transactions than are retained before a RELEASE; the engine drops them all.
    for (let value = 10; value < 30; value++) await runner.manager.transaction((manager) => manager.insert(Item, { value }));
    await runner.query("ROLLBACK TO SAVEPOINT mine");
    for (let value = 2; value <= 20; value++) await runner.manager.transaction((manager) => manager.insert(Item, { value }));
    await runner.query("RELEASE SAVEPOINT mine");
    await runner.commitTransaction();
    await runner.release();
    expect(await values()).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("should undo only the transactions that rolled back, around committed ones, inside a test", async () => {
    await inGroup(async (isolation) => {
      await isolation.beginTest();
      await items().insert({ value: 1 });
      await insertAndRollBack(2);
      await items().manager.transaction((manager) => manager.insert(Item, { value: 3 }));
      await items().insert({ value: 4 });
      await insertAndRollBack(5);
      expect(await values()).to.deep.equal([1, 3, 4]);
      await isolation.endTest();
      await isolation.beginTest();
      expect(await values()).to.deep.equal([]);
      await isolation.endTest();
    });
  });
});
