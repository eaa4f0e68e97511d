import { expect } from "chai";
import { createTestDataSource, serverEngine, testServer } from "../ormconfig.test";
import { TestDatabaseInUseError, type ServerEngineSettings, type SharedReplicationDataSource } from "../src";
import { Item } from "./fixtures/item-entity";
import { rejectionOf } from "./support/capture-error";
import {
  createDatabase,
  dropDatabase,
  plainConnection,
  sessionsOn,
  waitUntil,
  withAdmin,
  type PlainConnection,
  type TestServerType,
} from "./support/server-connections";

// Server legs only (TEST_SERVER set): another client (a second test run, a developer's console)
// holds the test database open while a DataSource starts.
if (testServer)
  describe(`${testServer}: a test database another client is using`, function () {
    this.timeout(30_000);
    const server = testServer as TestServerType;
    // A database of this process's own: within a process, a test database is prepared only once.
    let run = 0;
    let engine: ServerEngineSettings;
    let database: string;
    let holder: PlainConnection | undefined;
    let dataSource: SharedReplicationDataSource | undefined;

    beforeEach(async () => {
      engine = serverEngine(server, `guard_in_use_${process.pid}_${++run}`);
      database = `test_${engine.database}`;
      await createDatabase(server, database);
      holder = await plainConnection(server, database, "other-test-run");
    });

    afterEach(async () => {
      if (dataSource?.isInitialized) await dataSource.destroy().catch(() => dataSource!.destroy());
      dataSource = undefined;
      await holder?.end();
      await dropDatabase(server, database);
    });

    const start = (settings: Partial<ServerEngineSettings> = {}) =>
      (dataSource = createTestDataSource({ engine: { ...engine, ...settings } }, { entities: [Item] }));

    const holderAlive = async () => {
      expect(await holder!.query("SELECT 1 AS one")).to.have.length(1);
      expect(holder!.errors).to.deep.equal([]);
    };

    it("should refuse to drop and recreate it, naming the database and the other session, and leave that session alone", async () => {
      const error = await rejectionOf(start().initialize());
      expect(error).to.be.instanceOf(TestDatabaseInUseError);
      const inUse = error as TestDatabaseInUseError;
      expect(inUse.database).to.equal(database);
      expect(inUse.sessions.map((session) => session.id)).to.deep.equal([holder!.id]);
      const [session] = inUse.sessions;
      // MariaDB reports a TCP client from 127.0.0.1 by name ("localhost:<port>") unless skip-name-resolve.
      expect(session!.clientAddress).to.match(server === "postgres" ? /^127\.0\.0\.1:\d+$/ : /^(127\.0\.0\.1|localhost):\d+$/);
      if (server === "postgres") expect(session!.applicationName).to.equal("other-test-run");
      expect(inUse.message).to.contain(database).and.to.contain("keepDatabase").and.to.contain("forceDrop");
      await holderAlive();
      expect(dataSource!.isInitialized).to.equal(false);
    });

    it("should use it as it is with keepDatabase, and leave the other session alone", async () => {
      await start({ keepDatabase: true }).initialize();
      await dataSource!.getRepository(Item).insert({ value: 1 });
      await holderAlive();
    });

    it("should end the other session and recreate it only with forceDrop", async () => {
      await start({ forceDrop: true }).initialize();
      await waitUntil("the other session ended", async () => !(await sessionsOn(server, database)).includes(holder!.id));
      expect(await rejectionOf(holder!.query("SELECT 1"))).to.be.instanceOf(Error);
    });

    it("should refuse to drop it on destroy with dropDatabase, and leave it and the other session alone", async () => {
      await holder!.end();
      holder = undefined;
      await start({ dropDatabase: true }).initialize();
      holder = await plainConnection(server, database, "other-test-run");
      const error = await rejectionOf(dataSource!.destroy());
      expect(error).to.be.instanceOf(TestDatabaseInUseError);
      expect((error as TestDatabaseInUseError).sessions.map((session) => session.id)).to.deep.equal([holder.id]);
      await holderAlive();
      const exists = await withAdmin(server, (admin) =>
        server === "postgres"
          ? admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])
          : admin.query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [database]),
      );
      expect(exists).to.have.length(1);
      // destroy() again completes what the first one began.
      await dataSource!.destroy();
      expect(dataSource!.isInitialized).to.equal(false);
    });
  });
