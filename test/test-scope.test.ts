import { expect } from "chai";
import { AsyncResource } from "node:async_hooks";
import { EventSubscriber } from "typeorm";
import { createTestDataSource } from "../ormconfig.test";
import {
  DataSourceDestroyedError,
  QueryRunnerReleasedError,
  TestEndedError,
  TestIsolation,
  TestLeakError,
  type SharedReplicationDataSource,
} from "../src";
import { Item } from "./fixtures/item-entity";
import { rejectionOf, sleep } from "./support/capture-error";

/**
 * Each test in its own async scope, driven through the framework-neutral core as an adapter does:
 * `beginTest(title)`, the body in `runInTest(id, body)`, `assertNoLeaks(id)`, `endTest(id)`.
 */
describe("a scope per test", () => {
  let dataSource: SharedReplicationDataSource;
  let isolation: TestIsolation;
  const items = () => dataSource.getRepository(Item);

  beforeEach(async () => {
    dataSource = createTestDataSource({}, { entities: [Item] });
    isolation = new TestIsolation(dataSource);
    await isolation.beginGroup();
  });

  afterEach(async () => {
    await isolation.endGroup();
  });

  /** Runs `body` as test `title` the way the adapters do, returning its id and what its end threw. */
  async function runTest(title: string, body: () => Promise<void>): Promise<{ id: number; endError: unknown }> {
    const id = await isolation.beginTest(title);
    await isolation.runInTest(id, body);
    const endError = await isolation.endTest(id).then(
      () => undefined,
      (error: unknown) => error,
    );
    return { id, endError };
  }

  it("should refuse a late save of a test that ended, naming that test, and never run it inside the next one", async () => {
    let late: Promise<unknown> | undefined;
    const first = await runTest("first", async () => {
      late = (async () => {
        await sleep(30);
        await items().save({ value: 1 });
      })();
    });
    let lateError: unknown;
    await runTest("second", async () => {
      lateError = await rejectionOf(late!);
      expect(await items().count()).to.equal(0);
    });
    expect(lateError).to.be.instanceOf(TestEndedError);
    expect((lateError as TestEndedError).testId).to.equal(first.id);
    expect((lateError as TestEndedError).testTitle).to.equal("first");
    expect((lateError as Error).message).to.contain('("first")');
  });

  it("should refuse a runner an ended test's work creates later, and not report it as the next test's leak", async () => {
    let late: Promise<unknown> | undefined;
    await runTest("first", async () => {
      late = (async () => {
        await sleep(30);
        const runner = dataSource.createQueryRunner();
        await runner.query("INSERT INTO item (value) VALUES (7)");
      })();
    });
    const second = await runTest("second", async () => {
      expect(await rejectionOf(late!)).to.be.instanceOf(TestEndedError);
      expect(await items().count()).to.equal(0);
    });
    expect(second.endError).to.equal(undefined);
  });

  it("should refuse a transaction an ended test's work begins after a query subscriber held it up, and never open it in the next test", async () => {
    // A subscriber's beforeQuery may await anything: the BEGIN it is shown reaches the connection later.
    let entered!: () => void;
    const beginShown = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let armed = false;
    @EventSubscriber()
    class HeldBeginWatcher {
      async beforeQuery(event: { query: string }): Promise<void> {
        if (!armed || !/^(BEGIN|START)/.test(event.query)) return;
        armed = false;
        entered();
        await released;
      }
    }
    await isolation.endGroup();
    dataSource = createTestDataSource({}, { entities: [Item], subscribers: [HeldBeginWatcher] });
    isolation = new TestIsolation(dataSource);
    await isolation.beginGroup();
    let late: Promise<unknown> | undefined;
    await runTest("first", async () => {
      armed = true;
      late = dataSource.transaction((manager) => manager.save(Item, { value: 1 }));
      late.catch(() => undefined);
      // The BEGIN has been checked in and is held by the subscriber when the test ends.
      await beginShown;
    });
    const second = await runTest("second", async () => {
      release();
      const lateError = await rejectionOf(late!);
      expect(lateError, String(lateError)).to.satisfy(
        (error: unknown) => error instanceof TestEndedError || error instanceof QueryRunnerReleasedError,
      );
      expect(await items().count()).to.equal(0);
      // The connection is free: this test's own transaction is not kept waiting behind the late one.
      await dataSource.transaction((manager) => manager.save(Item, { value: 2 }));
      expect(await items().count()).to.equal(1);
    });
    expect(second.endError).to.equal(undefined);
  });

  it("should refuse a statement an ended test left waiting for the connection", async () => {
    const holder = dataSource.createQueryRunner();
    // Another flow's transaction, opened outside the test: the test's read waits for it.
    await AsyncResource.bind(() => holder.startTransaction())();
    const id = await isolation.beginTest("first");
    let waiting: Promise<unknown> | undefined;
    await isolation.runInTest(id, async () => {
      waiting = items().count();
      await sleep(5);
    });
    const ending = isolation.endTest(id).catch((error: unknown) => error);
    await holder.commitTransaction();
    await holder.release();
    const error = await rejectionOf(waiting!);
    expect(error).to.satisfy((e: unknown) => e instanceof TestEndedError || e instanceof QueryRunnerReleasedError);
    await ending;
    expect(await items().count()).to.equal(0);
  });

  it("should ignore a leak check that comes late for a test that ended, leaving the running test alone", async () => {
    const first = await runTest("first", async () => undefined);
    const id = await isolation.beginTest("second");
    await isolation.runInTest(id, async () => {
      await items().insert({ value: 2 });
      const leaked = dataSource.createQueryRunner();
      // The first test's check, finishing late: it must not roll back the second test mid-flight.
      await isolation.assertNoLeaks(first.id);
      expect(await items().count()).to.equal(1);
      await leaked.release();
    });
    await isolation.endTest(id);
  });

  it("should report a runner the test leaves open as TestLeakError on that test, with the runner and where it was created", async () => {
    let leakedId = 0;
    const id = await isolation.beginTest("leaky");
    await isolation.runInTest(id, async () => {
      const runner = dataSource.createQueryRunner("slave");
      leakedId = (runner as unknown as { runnerId: number }).runnerId;
      await runner.query("SELECT 1");
    });
    const error = await rejectionOf(isolation.assertNoLeaks(id));
    expect(error).to.be.instanceOf(TestLeakError);
    const leaks = (error as TestLeakError).leaks;
    expect(leaks).to.have.length(1);
    expect(leaks[0]).to.include({ kind: "runner", runnerId: leakedId });
    expect(leaks[0]!.runner).to.contain(`query runner #${leakedId} (slave`);
    expect(leaks[0]!.creationSite).to.contain("test-scope.test.ts");
    // Reported once: the test was ended by the check.
    expect(isolation.inTest).to.equal(false);
  });

  it("should report an open transaction as a leak of kind transaction", async () => {
    const id = await isolation.beginTest("open transaction");
    let runnerId = 0;
    await isolation.runInTest(id, async () => {
      const runner = dataSource.createQueryRunner();
      runnerId = (runner as unknown as { runnerId: number }).runnerId;
      await runner.startTransaction();
      await runner.query("INSERT INTO item (value) VALUES (3)");
    });
    const error = await rejectionOf(isolation.endTest(id));
    expect(error).to.be.instanceOf(TestLeakError);
    expect((error as TestLeakError).leaks.map((leak) => [leak.kind, leak.runnerId])).to.deep.include(["transaction", runnerId]);
    await runTest("next", async () => {
      expect(await items().count()).to.equal(0);
    });
  });

  it("should fence and roll back what the group's own hooks left open, report it from endGroup, and let the next group run", async () => {
    const runner = dataSource.createQueryRunner();
    // As a before() hook would: a transaction of its own flow, never ended.
    await AsyncResource.bind(() => runner.startTransaction())();
    await AsyncResource.bind(() => runner.query("INSERT INTO item (value) VALUES (1)"))();
    const error = await rejectionOf(isolation.endGroup());
    expect(error).to.be.instanceOf(TestLeakError);
    expect((error as TestLeakError).leaks.map((leak) => leak.runnerId)).to.include((runner as unknown as { runnerId: number }).runnerId);
    expect(await rejectionOf(runner.query("SELECT 1"))).to.satisfy(
      (e: unknown) => e instanceof QueryRunnerReleasedError || e instanceof DataSourceDestroyedError,
    );
    // The next group starts clean, with the connection free.
    isolation = new TestIsolation(dataSource);
    await isolation.beginGroup();
    await runTest("next group", async () => {
      expect(await items().count()).to.equal(0);
      await items().insert({ value: 2 });
    });
  });

  it("should let the sibling reads of a rejected Promise.all settle before looking for leaks", async () => {
    await items().insert([{ value: 1 }, { value: 2 }]);
    const id = await isolation.beginTest("fail-fast");
    await isolation.runInTest(id, async () => {
      const reads = Array.from({ length: 10 }, (_, i) =>
        i === 0 ? Promise.reject(new Error("the first read fails")) : items().findOneBy({ value: (i % 2) + 1 }),
      );
      expect(await rejectionOf(Promise.all(reads))).to.have.property("message", "the first read fails");
    });
    await isolation.assertNoLeaks(id);
    await isolation.endTest(id);
  });
});
