import { expect } from "chai";
import { AsyncResource } from "node:async_hooks";
import {
  EventSubscriber,
  type EntitySubscriberInterface,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
  type TransactionStartEvent,
} from "typeorm";
import { createTestDataSource, testDatabase } from "../ormconfig.test";
import { ConnectionWaitTimeoutError, type SharedReplicationDataSource, type SharedQueryRunner } from "../src";
import { Item } from "./fixtures/item-entity";
import { rejectionOf, sleep } from "./support/capture-error";

describe("transactions on the shared connection", () => {
  let dataSource: SharedReplicationDataSource;
  const events: string[] = [];

  @EventSubscriber()
  class TransactionEvents implements EntitySubscriberInterface {
    private record(name: string, event: TransactionStartEvent | TransactionCommitEvent | TransactionRollbackEvent) {
      const runner = event.queryRunner as SharedQueryRunner;
      events.push(`${name}#${runner.runnerId}`);
    }
    beforeTransactionStart(event: TransactionStartEvent) {
      this.record("beforeStart", event);
    }
    afterTransactionStart(event: TransactionStartEvent) {
      this.record("afterStart", event);
    }
    beforeTransactionCommit(event: TransactionCommitEvent) {
      this.record("beforeCommit", event);
    }
    afterTransactionCommit(event: TransactionCommitEvent) {
      this.record("afterCommit", event);
    }
    beforeTransactionRollback(event: TransactionRollbackEvent) {
      this.record("beforeRollback", event);
    }
    afterTransactionRollback(event: TransactionRollbackEvent) {
      this.record("afterRollback", event);
    }
  }

  beforeEach(async () => {
    events.length = 0;
    dataSource = createTestDataSource({ connectionWaitTimeout: 300 }, { entities: [Item], subscribers: [TransactionEvents] });
    await dataSource.initialize();
    events.length = 0;
  });

  afterEach(async () => {
    await dataSource.destroy();
  });

  const values = async () => (await dataSource.getRepository(Item).find({ order: { value: "ASC" } })).map((item) => item.value);

  it("should run independent transactions on every runner, nested calls as savepoints", async () => {
    dataSource.queryLog.clear();
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.manager.insert(Item, { value: 1 });
    await runner.startTransaction();
    await runner.manager.insert(Item, { value: 2 });
    await runner.rollbackTransaction();
    expect(runner.isTransactionActive).to.equal(true);
    await runner.startTransaction();
    await runner.manager.insert(Item, { value: 3 });
    await runner.commitTransaction();
    await runner.commitTransaction();
    expect(runner.isTransactionActive).to.equal(false);
    expect(await values()).to.deep.equal([1, 3]);
    const sql = dataSource.queryLog
      .entries()
      .filter((q) => q.kind === "transaction" && !q.internal)
      .map((q) => q.sql);
    // On a server the session transaction sits below the runner's, so its outermost level is a
    // savepoint too. Nested commits send nothing: their savepoints end with the outer transaction.
    expect(sql).to.deep.equal(
      testDatabase === undefined
        ? [
            "BEGIN TRANSACTION",
            "SAVEPOINT typeorm_shared_1",
            "ROLLBACK TO SAVEPOINT typeorm_shared_1",
            "SAVEPOINT typeorm_shared_2",
            "COMMIT",
          ]
        : [
            "SAVEPOINT typeorm_shared_1",
            "SAVEPOINT typeorm_shared_2",
            "ROLLBACK TO SAVEPOINT typeorm_shared_2",
            "SAVEPOINT typeorm_shared_3",
          ],
    );
  });

  it("should fire TypeORM's transaction subscriber events with the runner that ran them", async () => {
    const runner = dataSource.createQueryRunner();
    const id = runner.runnerId;
    await runner.startTransaction();
    await runner.commitTransaction();
    await runner.startTransaction();
    await runner.rollbackTransaction();
    expect(events).to.deep.equal([
      `beforeStart#${id}`,
      `afterStart#${id}`,
      `beforeCommit#${id}`,
      `afterCommit#${id}`,
      `beforeStart#${id}`,
      `afterStart#${id}`,
      `beforeRollback#${id}`,
      `afterRollback#${id}`,
    ]);
  });

  for (const flows of [2, 10]) {
    it(`should let ${flows} concurrent dataSource.transaction() flows that await timers all commit`, async () => {
      await Promise.all(
        Array.from({ length: flows }, (_, i) =>
          dataSource.transaction(async (manager) => {
            await manager.insert(Item, { value: i });
            await sleep(2);
            await manager.insert(Item, { value: 100 + i });
          }),
        ),
      );
      const expected = Array.from({ length: flows }, (_, i) => i).concat(Array.from({ length: flows }, (_, i) => 100 + i));
      expect(await values()).to.deep.equal(expected);
    });
  }

  it("should roll back only the flow that failed among concurrent flows", async () => {
    const outcomes = await Promise.allSettled(
      [1, 2, 3].map((value) =>
        dataSource.transaction(async (manager) => {
          await manager.insert(Item, { value });
          await sleep(1);
          if (value === 2) throw new Error("flow 2 fails");
        }),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
    expect(await values()).to.deep.equal([1, 3]);
  });

  it("should not deadlock when a transaction reads through a global repository", async () => {
    const items = dataSource.getRepository(Item);
    const seen = await dataSource.transaction(async (manager) => {
      await manager.insert(Item, { value: 7 });
      return (await items.find()).map((item) => item.value);
    });
    expect(seen).to.deep.equal([7]);
  });

  it("should not deadlock when code holding a manual runner's transaction reads through a global repository", async () => {
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.manager.insert(Item, { value: 8 });
    const seen = await dataSource.getRepository(Item).count();
    await runner.commitTransaction();
    await runner.release();
    expect(seen).to.equal(1);
  });

  // Work started from inside a flow that holds a transaction belongs to that transaction; another
  // flow is one started from outside it, so bind it to the context before the transaction opens.
  it("should make other flows wait for an open transaction and then see its committed rows", async () => {
    const countInAnotherFlow = AsyncResource.bind(() => dataSource.getRepository(Item).count());
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.manager.insert(Item, { value: 1 });
    const otherFlow = countInAnotherFlow();
    await sleep(20);
    await runner.manager.insert(Item, { value: 2 });
    await runner.commitTransaction();
    expect(await otherFlow).to.equal(2);
  });

  it("should keep nested sibling transactions inside a transaction apart", async () => {
    await dataSource.transaction(async () => {
      await Promise.all(
        [1, 2].map((value) =>
          dataSource
            .transaction(async (manager) => {
              await manager.insert(Item, { value });
              await sleep(2);
              if (value === 1) throw new Error("inner 1 rolls back");
            })
            .catch(() => undefined),
        ),
      );
    });
    expect(await values()).to.deep.equal([2]);
  });

  it("should fail a wait longer than connectionWaitTimeout with the holder and where it acquired the connection", async () => {
    const readInAnotherFlow = AsyncResource.bind(() => dataSource.createQueryRunner("slave").query("SELECT 1"));
    const holder = dataSource.createQueryRunner();
    // Node.js's default depth (node:test and plain scripts run with it; mocha raises it): the
    // library's and TypeORM's own frames must not use it up before the application's line.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 10;
    try {
      await holder.startTransaction();
    } finally {
      Error.stackTraceLimit = limit;
    }
    const waiter = readInAnotherFlow();
    const error = await rejectionOf(waiter);
    await holder.rollbackTransaction();
    expect(error).to.be.instanceOf(ConnectionWaitTimeoutError);
    const message = (error as Error).message;
    expect(message).to.contain(`query runner #${holder.runnerId} (master)`);
    expect(message).to.contain("transactions.test.ts");
    expect(message).not.to.contain("connection-lock");
    expect((error as ConnectionWaitTimeoutError).waitedMs).to.be.at.least(250);
  });

  it("should name where a holder that first waited for the connection asked for it, not where it was let in", async () => {
    const first = dataSource.createQueryRunner();
    const second = dataSource.createQueryRunner();
    // Bound before the first transaction begins: another flow than the one the test continues in.
    const beginInAnotherFlow = AsyncResource.bind(async function beginSecondTransaction() {
      await second.startTransaction();
    });
    const readInAnotherFlow = AsyncResource.bind(() => dataSource.createQueryRunner("slave").query("SELECT 1"));
    await first.startTransaction();
    const secondBegins = beginInAnotherFlow();
    await sleep(20);
    await first.commitTransaction();
    await secondBegins;
    const error = await rejectionOf(readInAnotherFlow());
    await second.rollbackTransaction();
    await Promise.all([first.release(), second.release()]);
    expect(error).to.be.instanceOf(ConnectionWaitTimeoutError);
    const message = (error as Error).message;
    expect(message).to.contain(`query runner #${second.runnerId} (master)`);
    expect(message).to.contain("beginSecondTransaction");
    expect(message).not.to.contain("commitTransaction");
  });

  it("should let a queue drain for longer than connectionWaitTimeout when no holder keeps the connection that long", async () => {
    // Six transactions, each holding the connection 100 ms (a third of the 300 ms limit): the last waits about 500 ms.
    const started = Date.now();
    await Promise.all(
      [1, 2, 3, 4, 5, 6].map((value) =>
        dataSource.transaction(async (manager) => {
          await manager.insert(Item, { value });
          await sleep(100);
        }),
      ),
    );
    expect(Date.now() - started, "the queue took longer than the limit").to.be.greaterThan(300);
    expect(await values()).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it("should treat raw BEGIN and COMMIT sent through query() as the runner's transaction", async () => {
    const order: string[] = [];
    // Bound before BEGIN, so the read runs in a flow of its own and must wait for the transaction.
    const readInAnotherFlow = AsyncResource.bind(() => dataSource.createQueryRunner("slave").query("SELECT value FROM item"));
    const runner = dataSource.createQueryRunner();
    await runner.query("BEGIN");
    // As on TypeORM's own runners, transaction control sent through query() is not counted in isTransactionActive.
    expect(runner.isTransactionActive).to.equal(false);
    await runner.query("INSERT INTO item (value) VALUES (5)");
    const otherFlow = readInAnotherFlow().then((rows) => order.push(`other flow read ${JSON.stringify(rows)}`));
    await sleep(20);
    order.push("COMMIT");
    await runner.query("COMMIT");
    expect(runner.isTransactionActive).to.equal(false);
    await otherFlow;
    expect(order).to.deep.equal(["COMMIT", 'other flow read [{"value":5}]']);
    const replica = dataSource.createQueryRunner("slave");
    expect(replica.replicaIndex).to.be.a("number");
    expect(await replica.query("SELECT value FROM item")).to.deep.equal([{ value: 5 }]);
  });

  it("should treat raw BEGIN and ROLLBACK sent through query() as the runner's transaction", async () => {
    const runner = dataSource.createQueryRunner();
    await runner.query("BEGIN");
    expect(runner.isTransactionActive).to.equal(false);
    await runner.query("INSERT INTO item (value) VALUES (5)");
    const otherRunner = AsyncResource.bind(() => dataSource.createQueryRunner("slave").query("SELECT value FROM item"));
    expect(await runner.query("SELECT value FROM item")).to.deep.equal([{ value: 5 }]);
    await runner.query("ROLLBACK");
    expect(await otherRunner()).to.deep.equal([]);
    expect(runner.isTransactionActive).to.equal(false);
    expect(await values()).to.deep.equal([]);
  });
});
