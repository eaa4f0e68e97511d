import { expect } from "chai";
import type { EntityManager } from "typeorm";
import { createTestDataSource, testServer } from "../ormconfig.test";
import { SharedReplicationError, TestIsolation, TruncatingTestCase, TruncatingTestLifecycle } from "../src";
import { Author, Post } from "./fixtures/blog-entities";
import { Item } from "./fixtures/item-entity";
import { rejectionOf } from "./support/capture-error";
import { plainConnection, type PlainConnection, type TestServerType } from "./support/server-connections";

/**
 * Another client of the test database, as an outbox poller or a second service would be: it sees
 * only what was committed, and gives up on a lock after a second instead of hanging.
 */
async function otherClient(server: TestServerType, database: string): Promise<PlainConnection & { count(table: string): Promise<number> }> {
  const connection = await plainConnection(server, database, "other-client");
  // MariaDB's plain SELECT reads a snapshot and waits for no lock: a locking read does, as the
  // TRUNCATE's exclusive lock makes every Postgres read wait.
  await connection.query(server === "postgres" ? "SET lock_timeout = '1s'" : "SET SESSION innodb_lock_wait_timeout = 1");
  const count = async (table: string) => {
    const [row] = await connection.query<{ n: string | number }>(
      server === "postgres" ? `SELECT count(*) AS n FROM "${table}"` : `SELECT COUNT(*) AS n FROM \`${table}\` LOCK IN SHARE MODE`,
    );
    return Number(row!.n);
  };
  return Object.assign(connection, { count });
}

// Server legs only (TEST_SERVER set): there, a DataSource otherwise runs in a session transaction
// that is never committed.
if (testServer)
  describe(`${testServer}: TruncatingTestLifecycle`, function () {
    this.timeout(30_000);
    const server = testServer as TestServerType;
    const dataSource = createTestDataSource({}, { entities: [Author, Post, Item] });
    const database = dataSource.options.database as string;
    let other: Awaited<ReturnType<typeof otherClient>>;

    before(async () => {
      // First the library creates the test database and its tables (dropping a database another
      // session uses is refused, this client's included).
      await dataSource.initialize();
      await dataSource.destroy();
      other = await otherClient(server, database);
    });
    after(async () => {
      await other.end();
      if (dataSource.isInitialized) await dataSource.destroy();
    });

    const setUpTestData = (manager: EntityManager) => manager.save(Author, { name: "alice" });

    it("should commit a test's writes for other connections to see, and leave the tables empty and unlocked after it", async () => {
      const lifecycle = new TruncatingTestLifecycle(dataSource, { setUpTestData });
      await lifecycle.beginGroup();
      try {
        const testId = await lifecycle.beginTest("commits");
        await lifecycle.runInTest(testId, async () => {
          await dataSource.getRepository(Item).insert({ value: 1 });
          await dataSource.transaction((manager) => manager.insert(Item, { value: 2 }));
        });
        expect(await other.count("item")).to.equal(2);
        expect(await other.count("author")).to.equal(1);
        await lifecycle.endTest(testId);
        for (const table of ["item", "author", "post"]) expect(await other.count(table), table).to.equal(0);
      } finally {
        await lifecycle.endGroup();
      }
    });

    it("should end a session transaction already open, and begin it again after the group", async () => {
      await dataSource.initialize();
      try {
        // Outside any test: part of the session transaction, never committed.
        await dataSource.getRepository(Item).insert({ value: 9 });
        const lifecycle = new TruncatingTestLifecycle(dataSource);
        await lifecycle.beginGroup();
        const testId = await lifecycle.beginTest("after a session");
        expect(await dataSource.getRepository(Item).count()).to.equal(0);
        await dataSource.getRepository(Item).insert({ value: 1 });
        expect(await other.count("item")).to.equal(1);
        await lifecycle.endTest(testId);
        await lifecycle.endGroup();

        await dataSource.getRepository(Item).insert({ value: 10 });
        expect(await dataSource.getRepository(Item).count()).to.equal(1);
      } finally {
        await dataSource.destroy();
      }
      expect(await other.count("item")).to.equal(0);
    });

    it("should refuse to run inside a transactional test group of the same DataSource", async () => {
      const isolation = new TestIsolation(dataSource);
      await isolation.beginGroup();
      try {
        const error = await rejectionOf(new TruncatingTestLifecycle(dataSource).beginGroup());
        expect(error).to.be.instanceOf(SharedReplicationError);
        expect((error as Error).message).to.contain("a SharedReplicationDataSource of their own");
      } finally {
        await isolation.endGroup();
      }
    });

    describe("as a TruncatingTestCase", () => {
      class CommittingTest extends TruncatingTestCase {
        static override dataSource = createTestDataSource({}, { entities: [Author, Post, Item] });

        static async setUpTestData(manager: EntityManager) {
          return { alice: await setUpTestData(manager) };
        }

        async testCommitsForOtherConnectionsToSee() {
          await this.dataSource.getRepository(Item).insert({ value: 1 });
          expect(await other.count("item")).to.equal(1);
          expect(await other.count("author")).to.equal(1);
        }

        async testStartsFromTheFixturesAlone() {
          expect(await other.count("item")).to.equal(0);
          expect(await other.count("author")).to.equal(1);
        }
      }
      CommittingTest.register();
    });
  });
