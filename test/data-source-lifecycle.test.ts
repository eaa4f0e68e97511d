import { expect } from "chai";
import { AsyncResource } from "node:async_hooks";
import { createTestDataSource } from "../ormconfig.test";
import {
  ConnectionWaitTimeoutError,
  DataSourceDestroyedError,
  DataSourceNotInitializedError,
  TestIsolation,
  SchemaInTransactionError,
  TransactionalTestCase,
  type SharedReplicationDataSource,
} from "../src";
import { Item } from "./fixtures/item-entity";
import { rejectionOf } from "./support/capture-error";

/** Collects the process warnings `fn` emits with `code`. */
async function warningsOf(code: string, fn: () => unknown): Promise<string[]> {
  const warnings: string[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === code) warnings.push(warning.message);
  };
  process.on("warning", listener);
  try {
    await fn();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listener);
  }
  return warnings;
}

describe("DataSource lifecycle and misuse", () => {
  let dataSource: SharedReplicationDataSource;
  const count = async () => Number(((await dataSource.query("SELECT count(*) AS n FROM item")) as { n: number | string }[])[0]!.n);

  beforeEach(() => {
    dataSource = createTestDataSource({ connectionWaitTimeout: 1000 }, { entities: [Item] });
  });

  afterEach(async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
  });

  it("should refuse a statement before initialize() with DataSourceNotInitializedError saying what to do", async () => {
    const error = await rejectionOf(dataSource.createQueryRunner().query("SELECT 1"));
    expect(error).to.be.instanceOf(DataSourceNotInitializedError);
    expect((error as Error).message).to.contain("dataSource.initialize()");
  });

  it("should answer a statement of only comments or whitespace with no rows, as servers do, without sending it", async () => {
    await dataSource.initialize();
    for (const sql of ["/* nothing */", "-- nothing", "  ", "/* a */ -- b"]) expect(await dataSource.query(sql), sql).to.deep.equal([]);
  });

  it("should refuse a runner used after destroy() with DataSourceDestroyedError", async () => {
    await dataSource.initialize();
    const runner = dataSource.createQueryRunner();
    await runner.query("SELECT 1");
    await dataSource.destroy();
    expect(await rejectionOf(runner.query("SELECT 1"))).to.be.instanceOf(DataSourceDestroyedError);
    expect(await rejectionOf(runner.startTransaction())).to.be.instanceOf(DataSourceDestroyedError);
  });

  it("should end an open transaction on destroy(), so initialize() starts clean", async () => {
    await dataSource.initialize();
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.query("INSERT INTO item (value) VALUES (1)");
    await dataSource.destroy();
    await dataSource.initialize();
    await dataSource.transaction((manager) => manager.insert(Item, { value: 2 }));
    expect(await dataSource.getRepository(Item).count()).to.be.at.least(1);
    const fresh = dataSource.createQueryRunner();
    await fresh.startTransaction();
    await fresh.rollbackTransaction();
    await fresh.release();
  });

  it("should fail statements waiting for the connection when it closes, with DataSourceDestroyedError", async () => {
    await dataSource.initialize();
    const holder = dataSource.createQueryRunner();
    await AsyncResource.bind(() => holder.startTransaction())();
    const waiting = AsyncResource.bind(() => dataSource.query("SELECT 1"))();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await dataSource.destroy();
    const error = await rejectionOf(waiting);
    expect(error).to.be.instanceOf(DataSourceDestroyedError);
    expect(error).not.to.be.instanceOf(ConnectionWaitTimeoutError);
  });

  it("should keep a test isolated when the DataSource is destroyed and initialized again inside it", async () => {
    const isolation = new TestIsolation(dataSource);
    await isolation.beginGroup();
    try {
      await isolation.beginTest();
      await dataSource.destroy();
      await dataSource.initialize();
      await dataSource.getRepository(Item).insert({ value: 1 });
      expect(await count()).to.equal(1);
      await isolation.endTest();
      await isolation.beginTest();
      expect(await count()).to.equal(0);
      await isolation.endTest();
    } finally {
      await isolation.endGroup();
    }
  });

  it("should warn, not fail, when the test hooks run after the DataSource was destroyed", async () => {
    const isolation = new TestIsolation(dataSource);
    await isolation.beginGroup();
    await isolation.beginTest();
    await dataSource.getRepository(Item).insert({ value: 1 });
    await dataSource.destroy();
    const warnings = await warningsOf("TYPEORM_SHARED_REPLICATION_HOOK_ORDER", async () => {
      await isolation.endTest();
      await isolation.endGroup();
    });
    expect(warnings).to.have.length(2);
    expect(warnings[0]).to.contain("endTest()").and.contain("after the SharedReplicationDataSource was destroyed");
  });

  it("should warn when a test class has no test methods", async () => {
    class NoTests extends TransactionalTestCase {
      static override dataSource = dataSource;
      async checksNothing() {}
    }
    const scope = globalThis as unknown as Record<string, unknown>;
    const saved = ["describe", "it", "before", "after", "beforeEach", "afterEach"].map((name) => [name, scope[name]] as const);
    for (const [name] of saved) scope[name] = name === "describe" ? (_title: string, fn: () => void) => fn() : () => undefined;
    try {
      const warnings = await warningsOf("TYPEORM_SHARED_REPLICATION_NO_TESTS", () => NoTests.register());
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.contain("NoTests.register() found no test methods");
    } finally {
      for (const [name, value] of saved) scope[name] = value;
    }
  });
});

describe("destroying one of two DataSources sharing a connection", () => {
  let primary: SharedReplicationDataSource;
  let secondary: SharedReplicationDataSource;

  beforeEach(async () => {
    primary = await createTestDataSource({ connectionWaitTimeout: 500 }, { entities: [Item] }).initialize();
    secondary = await createTestDataSource({ shareConnectionWith: primary }, { entities: [Item] }).initialize();
  });

  afterEach(async () => {
    if (secondary.isInitialized) await secondary.destroy();
    await primary.destroy();
  });

  it("should refuse to create a joining DataSource's schema inside a test's transaction, where it would be rolled back", async () => {
    const isolation = new TestIsolation(primary);
    await isolation.beginGroup();
    try {
      await isolation.beginTest();
      await primary.getRepository(Item).insert({ value: 1 });
      const late = createTestDataSource({ shareConnectionWith: primary }, { entities: [Item] });
      expect(await rejectionOf(late.initialize())).to.be.instanceOf(SchemaInTransactionError);
      expect(late.isInitialized).to.equal(false);
      // The primary and its test go on.
      expect(await primary.getRepository(Item).count()).to.equal(1);
      await isolation.endTest();
    } finally {
      await isolation.endGroup();
    }
  });

  it("should roll back the destroyed one's open transaction and never block the other", async () => {
    const runner = secondary.createQueryRunner();
    await AsyncResource.bind(() => runner.startTransaction())();
    await AsyncResource.bind(() => runner.query("INSERT INTO item (value) VALUES (1)"))();
    await secondary.destroy();
    await primary.transaction((manager) => manager.insert(Item, { value: 2 }));
    expect((await primary.getRepository(Item).find()).map((item) => item.value)).to.deep.equal([2]);
  });
});
