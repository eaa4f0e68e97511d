import { expect } from "chai";
import { createTestDataSource, testServer } from "../ormconfig.test";
import { ConnectionLostError, TestIsolation } from "../src";
import { Item } from "./fixtures/item-entity";
import { rejectionOf, sleep } from "./support/capture-error";
import { sessionsOn, terminateSession, waitUntil, withAdmin, type TestServerType } from "./support/server-connections";

// Server legs only (TEST_SERVER set): an administrator ends the DataSource's session mid-run.
if (testServer)
  describe(`${testServer}: a connection the server closes`, function () {
    this.timeout(30_000);
    const server = testServer as TestServerType;
    const dataSource = createTestDataSource({}, { entities: [Item] });
    const database = dataSource.options.database as string;
    const items = () => dataSource.getRepository(Item);

    afterEach(async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
    });

    async function sessionId(): Promise<number> {
      const [row] = (await dataSource.query(server === "postgres" ? "SELECT pg_backend_pid() AS id" : "SELECT CONNECTION_ID() AS id")) as {
        id: number | string;
      }[];
      return Number(row!.id);
    }

    /** Ends the DataSource's session from another connection, and waits until the server has. */
    async function terminate(id: number): Promise<void> {
      await terminateSession(server, id);
      await waitUntil("the server ended the session", async () => !(await sessionsOn(server, database)).includes(id));
      // The driver hears of it on its own (an "error" event): one that nobody handled would crash
      // the process here, failing this test as an uncaught exception.
      await sleep(100);
    }

    async function sleepingIn(id: number): Promise<boolean> {
      const rows = await withAdmin(server, (admin) =>
        server === "postgres"
          ? admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE '%pg_sleep%'", [id])
          : admin.query("SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO LIKE '%SLEEP%'", [id]),
      );
      return rows.length > 0;
    }

    it("should fail the next statements with ConnectionLostError, and connect again after destroy() and initialize()", async () => {
      await dataSource.initialize();
      await items().insert({ value: 1 });
      await terminate(await sessionId());

      const error = await rejectionOf(items().count());
      expect(error).to.be.instanceOf(ConnectionLostError);
      expect((error as Error).message)
        .to.contain("The server closed the connection")
        .and.to.contain("initialize it again");
      expect((error as ConnectionLostError).database).to.equal(database);
      expect(await rejectionOf(dataSource.query("SELECT 1"))).to.be.instanceOf(ConnectionLostError);
      expect(await rejectionOf(items().insert({ value: 2 }))).to.be.instanceOf(ConnectionLostError);

      await dataSource.destroy();
      await dataSource.initialize();
      // The session transaction ended with the session: nothing was committed.
      expect(await items().count()).to.equal(0);
    });

    it("should fail a statement in flight when the server ends the session with ConnectionLostError", async () => {
      await dataSource.initialize();
      const id = await sessionId();
      const sleeping = rejectionOf(dataSource.query(server === "postgres" ? "SELECT pg_sleep(20)" : "SELECT SLEEP(20)"));
      await waitUntil("the statement runs", () => sleepingIn(id));
      await terminateSession(server, id);
      expect(await sleeping).to.be.instanceOf(ConnectionLostError);
    });

    it("should end a test group whose session the server closed mid-test with ConnectionLostError, and let destroy() work", async () => {
      const isolation = new TestIsolation(dataSource);
      await isolation.beginGroup();
      const testId = await isolation.beginTest("killed mid-test");
      await items().insert({ value: 1 });
      await terminate(await sessionId());
      expect(await rejectionOf(items().count())).to.be.instanceOf(ConnectionLostError);
      expect(await rejectionOf(isolation.endTest(testId))).to.be.instanceOf(ConnectionLostError);
      expect(await rejectionOf(isolation.endGroup())).to.be.instanceOf(ConnectionLostError);
      // The group initialized the DataSource: its endGroup() destroys it, or leaves that to the caller.
      if (dataSource.isInitialized) await dataSource.destroy();
      expect(dataSource.isInitialized).to.equal(false);
      await dataSource.initialize();
      expect(await items().count()).to.equal(0);
    });
  });
