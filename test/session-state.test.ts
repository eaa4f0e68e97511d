import { expect } from "chai";
import { createTestDataSource, testDatabase } from "../ormconfig.test";
import { TestIsolation, UnsupportedSqlError, type SharedReplicationDataSource } from "../src";
import { Item } from "./fixtures/item-entity";
import { rejectionOf } from "./support/capture-error";

/** SQLite keeps PRAGMAs and ATTACHes on the connection whatever becomes of the transaction. */
if (!testDatabase)
  describe("connection state a rollback does not undo", () => {
    let dataSource: SharedReplicationDataSource;
    let isolation: TestIsolation;
    const one = async (sql: string) => Object.values(((await dataSource.query(sql)) as Record<string, unknown>[])[0] ?? {})[0];

    // Initialized here, not by the group, so one connection outlives the groups of a test.
    beforeEach(async () => {
      dataSource = await createTestDataSource({}, { entities: [Item] }).initialize();
      isolation = new TestIsolation(dataSource);
      await isolation.beginGroup();
    });

    afterEach(async () => {
      await isolation.endGroup();
      await dataSource.destroy();
    });

    const pragmas: [string, string, string][] = [
      ["PRAGMA case_sensitive_like = ON", "SELECT 'a' LIKE 'A' AS v", "1"],
      ["PRAGMA recursive_triggers = ON", "PRAGMA recursive_triggers", "0"],
      ['PRAGMA "query_only" (1)', "PRAGMA query_only", "0"],
      ["/* x */ PRAGMA main.cache_size = 123", "PRAGMA main.cache_size", "original"],
    ];
    for (const [change, read, expected] of pragmas) {
      it(`should put back what ${JSON.stringify(change)} changed when the test ends`, async () => {
        const before = await one(read);
        await isolation.beginTest();
        await dataSource.query(change);
        await isolation.endTest();
        await isolation.beginTest();
        expect(String(await one(read))).to.equal(expected === "original" ? String(before) : expected);
        await dataSource.getRepository(Item).insert({ value: 1 });
        await isolation.endTest();
      });
    }

    it("should detach a database a test attached", async () => {
      await isolation.beginTest();
      await dataSource.query("ATTACH DATABASE ':memory:' AS scratch");
      await isolation.endTest();
      const names = ((await dataSource.query("PRAGMA database_list")) as { name: string }[]).map((row) => row.name);
      expect(names).not.to.include("scratch");
    });

    it("should put back what the group's hooks changed when the group ends", async () => {
      await dataSource.query("PRAGMA recursive_triggers = ON");
      await isolation.beginTest();
      expect(String(await one("PRAGMA recursive_triggers"))).to.equal("1");
      await isolation.endTest();
      await isolation.endGroup();
      isolation = new TestIsolation(dataSource);
      await isolation.beginGroup();
      expect(String(await one("PRAGMA recursive_triggers"))).to.equal("0");
    });

    it("should refuse a PRAGMA among several statements, which it could not undo", async () => {
      await isolation.beginTest();
      expect(await rejectionOf(dataSource.query("SELECT 1; PRAGMA query_only = 1"))).to.be.instanceOf(UnsupportedSqlError);
      await isolation.endTest();
    });
  });

/** Postgres undoes SET with the transaction (or savepoint) it ran in: a test's settings end with it, on a database whose session outlives the tests. */
if (testDatabase === "postgres")
  describe("Postgres settings a test changes", () => {
    let dataSource: SharedReplicationDataSource;
    let isolation: TestIsolation;
    const timeZone = async () => ((await dataSource.query("SHOW TIME ZONE")) as Record<string, string>[])[0]!.TimeZone;
    /** Ends the running test, and returns what `read` finds in the next one. */
    const inNextTest = async <T>(read: () => Promise<T>): Promise<T> => {
      await isolation.endTest();
      await isolation.beginTest();
      try {
        return await read();
      } finally {
        await isolation.endTest();
      }
    };

    before(async () => {
      dataSource = createTestDataSource({}, { entities: [Item] });
      isolation = new TestIsolation(dataSource);
      await isolation.beginGroup();
    });
    after(() => isolation.endGroup());

    for (const change of [
      "SET TIME ZONE 'Asia/Tokyo'",
      "SELECT set_config('TimeZone', 'Asia/Tokyo', false)",
      "/* app */ SET LOCAL TIME ZONE 'Asia/Tokyo'",
    ]) {
      it(`should end ${JSON.stringify(change)} with the test that ran it, even one that wrote nothing`, async () => {
        await isolation.beginTest();
        const before = await timeZone();
        await dataSource.query(change);
        if (!change.includes("LOCAL")) expect(await timeZone()).to.equal("Asia/Tokyo");
        expect(await inNextTest(timeZone)).to.equal(before);
      });
    }

    it("should roll back what a function called by a SELECT wrote, in a test that wrote nothing else", async () => {
      await dataSource.query(
        `CREATE FUNCTION "add_item"(integer) RETURNS integer LANGUAGE sql AS 'INSERT INTO item (value) VALUES ($1) RETURNING value'`,
      );
      await isolation.beginTest();
      await dataSource.query(`SELECT "add_item"(7)`);
      expect(await inNextTest(() => dataSource.getRepository(Item).count())).to.equal(0);
    });

    it("should put back the setting the test started with, whatever the test set last", async () => {
      await isolation.beginTest();
      const before = await timeZone();
      await dataSource.query("SET TIME ZONE 'Europe/Paris'");
      await dataSource.getRepository(Item).insert({ value: 1 });
      await dataSource.query("SET TIME ZONE 'UTC'");
      expect(await inNextTest(timeZone)).to.equal(before);
    });
  });
