import { expect } from "chai";
import { AsyncResource } from "node:async_hooks";
import type { Readable } from "node:stream";
import { createTestDataSource, testDatabase } from "../ormconfig.test";
import { ConnectionWaitTimeoutError, ReplicaWriteError, TestIsolation, TestLeakError, type SharedReplicationDataSource } from "../src";
import { Item } from "./fixtures/item-entity";
import { rejectionOf } from "./support/capture-error";

/** Reads a driver stream to its end. */
async function drain(stream: Readable): Promise<unknown[]> {
  const rows: unknown[] = [];
  for await (const row of stream) rows.push(row);
  return rows;
}

describe("stream()", function () {
  this.timeout(30_000);
  let dataSource: SharedReplicationDataSource;
  let isolation: TestIsolation;

  beforeEach(async () => {
    dataSource = createTestDataSource({ connectionWaitTimeout: 500 }, { entities: [Item] });
    isolation = new TestIsolation(dataSource);
    await isolation.beginGroup();
    await isolation.beginTest();
    await dataSource.getRepository(Item).insert([{ value: 1 }, { value: 2 }]);
  });

  afterEach(async () => {
    await isolation.endTest().catch(() => undefined);
    await isolation.endGroup();
  });

  if (!testDatabase) {
    it("should reject as TypeORM's SQLite drivers do: they have no stream", async () => {
      const runner = dataSource.createQueryRunner();
      try {
        const error = await rejectionOf(runner.stream("SELECT value FROM item"));
        expect((error as Error).message).to.match(/Stream is not supported/i);
      } finally {
        await runner.release();
      }
    });
    return;
  }

  it("should stream the rows of the test's own writes and record the statement in the query log", async () => {
    const runner = dataSource.createQueryRunner("slave");
    try {
      const captured = await dataSource.queryLog.capture(async () =>
        drain((await runner.stream("SELECT value FROM item ORDER BY value")) as Readable),
      );
      expect(captured.result.map((row) => Number((row as { value: number }).value))).to.deep.equal([1, 2]);
      const streamed = captured.queries.filter((entry) => entry.sql.startsWith("SELECT value FROM item"));
      expect(streamed.map((entry) => [entry.role, entry.replicaIndex])).to.deep.equal([["slave", 0]]);
    } finally {
      await runner.release();
    }
  });

  it("should refuse a write streamed through a replica runner, and leave the rows alone", async () => {
    const runner = dataSource.createQueryRunner("slave");
    try {
      const sql = testDatabase === "postgres" ? "DELETE FROM item RETURNING value" : "DELETE FROM item";
      expect(await rejectionOf(runner.stream(sql))).to.be.instanceOf(ReplicaWriteError);
    } finally {
      await runner.release();
    }
    expect(await dataSource.getRepository(Item).count()).to.equal(2);
  });

  it("should hold the connection while a stream is open, as a transaction does, and free it on release()", async () => {
    const runner = dataSource.createQueryRunner();
    await AsyncResource.bind(() => runner.stream("SELECT value FROM item"))();
    const waiting = AsyncResource.bind(() => dataSource.query("SELECT 1 AS one"))();
    const error = await rejectionOf(waiting);
    expect(error).to.be.instanceOf(ConnectionWaitTimeoutError);
    expect((error as Error).message).to.contain(`query runner #${(runner as unknown as { runnerId: number }).runnerId}`);
    await runner.release();
    expect(await dataSource.getRepository(Item).count()).to.equal(2);
  });

  it("should report a stream left open by a test as a leak of that test, and free the connection", async () => {
    const runner = dataSource.createQueryRunner();
    await runner.stream("SELECT value FROM item");
    const error = await rejectionOf(isolation.endTest());
    expect(error).to.be.instanceOf(TestLeakError);
    await isolation.beginTest();
    expect(await dataSource.getRepository(Item).count()).to.equal(0);
  });
});
