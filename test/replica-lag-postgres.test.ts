import { expect } from "chai";
import { createTestDataSource } from "../ormconfig.test";
import { ReplicaLagError, TestIsolation, TruncatingTestLifecycle, type SharedReplicationDataSource } from "../src";
import { rejectionOf } from "./support/capture-error";
import { PGLITE_START_TIMEOUT } from "./support/fidelity-engines";
import { POSTGRES_LAG_ENGINES, rowsOnReplica, withReplicaRunner } from "./support/lag-engines";
import { Author } from "./fixtures/blog-entities";

/**
 * Lag mode on real Postgres: what SQLite's copies never meet. Row images carried over as
 * Postgres's own text, tables without a primary key, updates that move keys, TRUNCATE, views,
 * schemas other than the search path's, and what a replica cannot hold. Defined where Postgres is:
 * PGlite in the PGlite legs, the server in the Postgres leg; replica-lag.test.ts runs the common
 * cases on every engine.
 */

const SCHEMA = [
  `CREATE TYPE "mood" AS ENUM ('sad', 'ok', 'happy')`,
  `CREATE TABLE "typed" ("id" integer PRIMARY KEY, "j" jsonb, "n" numeric, "ts" timestamptz, "d" date, "iv" interval, ` +
    `"b" bytea, "arr" text[], "m" "mood", "f" float8, "t" text, "big" int8, "u" uuid, "g" integer GENERATED ALWAYS AS ("id" * 2) STORED)`,
  `CREATE TABLE "bag" ("v" text)`,
  `CREATE TABLE "shift" ("id" integer PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, "label" text)`,
  `CREATE VIEW "author_names" AS SELECT "name" FROM "author"`,
  `CREATE SCHEMA "archive"`,
  `CREATE SCHEMA "other"`,
  `CREATE TABLE "archive"."entry" ("id" integer PRIMARY KEY, "what" text)`,
  `CREATE MATERIALIZED VIEW "author_count" AS SELECT count(*) AS "n" FROM "author"`,
  `CREATE FUNCTION "author_total"() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM "author"'`,
  `CREATE VIEW "author_totals" AS SELECT "author_total"() AS "n"`,
  `CREATE FUNCTION "twice"(integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2'`,
  `CREATE TABLE "stamped" ("at" timestamptz, "v" text)`,
  `CREATE VIEW "first_names" AS SELECT "name" FROM "author_names" WHERE "name" LIKE 'a%'`,
  `CREATE TABLE "other"."author" ("name" text PRIMARY KEY)`,
  `CREATE VIEW "archive"."entry_whats" AS SELECT "what" FROM "archive"."entry"`,
  `CREATE FUNCTION "add_to_bag"(text) RETURNS integer LANGUAGE sql AS 'INSERT INTO "bag" VALUES ($1) RETURNING 1'`,
  `CREATE FUNCTION "use_schema"(text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('search_path', $1, false); END $$`,
  `CREATE FUNCTION "tenant"() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_setting('app.tenant', true) $$`,
  `CREATE TABLE "unlogged_t" ("id" integer PRIMARY KEY)`,
  `ALTER TABLE "unlogged_t" SET UNLOGGED`,
  `CREATE TABLE "parent_t" ("id" integer PRIMARY KEY)`,
  `CREATE TABLE "child_t" ("extra" text) INHERITS ("parent_t")`,
];

/** Rows a read through replica `index` returns. */
function onReplica(dataSource: SharedReplicationDataSource, sql: string, index = 0): Promise<unknown[]> {
  return rowsOnReplica(dataSource, index, sql);
}

for (const { name, engine } of POSTGRES_LAG_ENGINES) {
  describe(`${name}: replica lag on Postgres`, function () {
    this.timeout(PGLITE_START_TIMEOUT);
    let dataSource: SharedReplicationDataSource;
    let isolation: TestIsolation<void>;

    before(async () => {
      dataSource = createTestDataSource({ engine, replicaLag: "manual" });
      isolation = new TestIsolation(dataSource, {
        setUpTestData: async (manager) => {
          for (const sql of SCHEMA) await manager.query(sql);
        },
      });
      await isolation.beginGroup();
    });
    beforeEach(() => isolation.beginTest());
    afterEach(() => isolation.endTest());
    after(() => isolation.endGroup());

    it("should carry every value over exactly as Postgres holds it, whatever the session's settings were when it was written", async () => {
      const select = `SELECT * FROM "typed" ORDER BY "id"`;
      // Settings that change how values print: a row's image must not depend on them.
      await dataSource.query(`SET "DateStyle" = 'SQL, DMY'`);
      await dataSource.query(`SET extra_float_digits = 0`);
      try {
        await dataSource.query(
          `INSERT INTO "typed" ("id", "j", "n", "ts", "d", "iv", "b", "arr", "m", "f", "t", "big", "u") VALUES ` +
            `(1, '{"a": [1, "two", null], "b\\"q": {}}', 12345678901234567890.123456789, '2024-03-04 05:06:07.123456+02', '2024-03-04', ` +
            `'1 year 2 mons -3 days 04:05:06.5', '\\x00ff27', ARRAY['a,b', 'c"d', NULL, ''], 'happy', 0.1 + 0.2, E'line\\nbreak, (paren) "quote" \\\\', ` +
            `-9223372036854775808, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), ` +
            `(2, NULL, 'NaN', '-infinity', NULL, NULL, '\\x', '{}', NULL, '-Infinity', '', 0, NULL)`,
        );
      } finally {
        await dataSource.query(`RESET "DateStyle"`);
        await dataSource.query(`RESET extra_float_digits`);
      }
      expect(await onReplica(dataSource, select)).to.deep.equal([]);
      await dataSource.syncReplicas();
      const master = await dataSource.query(select);
      expect(master).to.have.length(2);
      expect(await onReplica(dataSource, select)).to.deep.equal(master);
      const text = `SELECT x::text AS "row" FROM "typed" x ORDER BY "id"`;
      expect(await onReplica(dataSource, text, 1)).to.deep.equal(await dataSource.query(text));
    });

    it("should match rows whole whatever time zone the session had when each change was made", async () => {
      const select = `SELECT "at", "v" FROM "stamped" ORDER BY "v"`;
      try {
        await dataSource.query(`SET TIME ZONE 'UTC'`);
        await dataSource.query(`INSERT INTO "stamped" VALUES ('2024-01-01 00:00+00', 'a'), ('2024-01-01 00:00+00', 'gone')`);
        await dataSource.syncReplicas();
        await dataSource.query(`SET TIME ZONE 'Asia/Tokyo'`);
        await dataSource.query(`UPDATE "stamped" SET "v" = 'b' WHERE "v" = 'a'`);
        await dataSource.query(`SET TIME ZONE 'Europe/Paris'`);
        await dataSource.query(`DELETE FROM "stamped" WHERE "v" = 'gone'`);
        await dataSource.query(`SET TIME ZONE 'America/New_York'`);
        await dataSource.syncReplicas();
        expect(await onReplica(dataSource, select)).to.deep.equal(await dataSource.query(select));
        expect(await onReplica(dataSource, select)).to.have.length(1);
      } finally {
        await dataSource.query(`RESET TIME ZONE`);
      }
    });

    it("should capture writes made with triggers off for replication (session_replication_role) or disabled", async () => {
      try {
        await dataSource.query(`SET session_replication_role = replica`);
        await dataSource.query(`INSERT INTO "bag" VALUES ('replication role')`);
      } finally {
        await dataSource.query(`SET session_replication_role = DEFAULT`);
      }
      await dataSource.query(`ALTER TABLE "bag" DISABLE TRIGGER ALL`);
      await dataSource.query(`INSERT INTO "bag" VALUES ('triggers off')`);
      await dataSource.query(`ALTER TABLE "bag" ENABLE TRIGGER ALL`);
      await dataSource.syncReplicas();
      await dataSource.query(`INSERT INTO "bag" VALUES ('triggers on')`);
      await dataSource.syncReplicas();
      expect(await onReplica(dataSource, `SELECT "v" FROM "bag" ORDER BY "v"`)).to.deep.equal([
        { v: "replication role" },
        { v: "triggers off" },
        { v: "triggers on" },
      ]);
    });

    it("should read a table renamed or moved mid-test, and views on views replaced mid-test, from the copies", async () => {
      await dataSource.getRepository(Author).save({ name: "ada" });
      await dataSource.query(`INSERT INTO "bag" VALUES ('before the rename')`);
      await dataSource.query(`ALTER TABLE "bag" RENAME TO "sack"`);
      await dataSource.query(`ALTER TABLE "sack" SET SCHEMA "archive"`);
      await dataSource.query(`INSERT INTO "archive"."sack" VALUES ('after the rename')`);
      await dataSource.query(`CREATE OR REPLACE VIEW "author_names" AS SELECT upper("name")::varchar(100) AS "name" FROM "author"`);
      await dataSource.syncReplicas();
      await dataSource.query(`INSERT INTO "archive"."sack" VALUES ('not synced')`);
      expect(await onReplica(dataSource, `SELECT "v" FROM "archive"."sack" ORDER BY "v"`)).to.deep.equal([
        { v: "after the rename" },
        { v: "before the rename" },
      ]);
      expect(await onReplica(dataSource, `SELECT "name" FROM "author_names"`)).to.deep.equal([{ name: "ADA" }]);
      expect(await onReplica(dataSource, `SELECT "name" FROM "first_names"`)).to.deep.equal([]);
    });

    it("should carry over writes a function called by a SELECT made, as commits", async () => {
      await dataSource.query(`SELECT "add_to_bag"('by a function')`);
      await dataSource.syncReplicas();
      expect(await onReplica(dataSource, `SELECT "v" FROM "bag"`)).to.deep.equal([{ v: "by a function" }]);
    });

    it("should read views over tables of any schema from the copies", async () => {
      await dataSource.query(`INSERT INTO "archive"."entry" VALUES (1, 'synced')`);
      await dataSource.syncReplicas();
      await dataSource.query(`INSERT INTO "archive"."entry" VALUES (2, 'not synced')`);
      expect(await onReplica(dataSource, `SELECT "what" FROM "archive"."entry_whats"`)).to.deep.equal([{ what: "synced" }]);
    });

    it("should refuse reads of inheriting and unlogged tables and several statements at once, and run setting-reading helpers", async () => {
      for (const sql of [`SELECT "id" FROM "parent_t"`, `SELECT "id" FROM "unlogged_t"`, `SELECT 1; SELECT "name" FROM "author"`]) {
        const error = await rejectionOf(onReplica(dataSource, sql));
        expect(error, sql).to.be.instanceOf(ReplicaLagError).and.to.include({ failure: "unreplicated-read" });
      }
      expect(await onReplica(dataSource, `SELECT "tenant"() AS "t"`)).to.deep.equal([{ t: null }]);
    });

    for (const [how, change] of [
      ["SET search_path", `SET search_path = "other", "public"`],
      ["a function calling set_config()", `SELECT "use_schema"('other, public')`],
    ] as const) {
      it(`should resolve names through the search path in force at each read, set by ${how}`, async () => {
        await dataSource.getRepository(Author).save({ name: "public row" });
        await dataSource.query(`INSERT INTO "other"."author" VALUES ('other row')`);
        await dataSource.syncReplicas();
        const read = `SELECT "name" FROM "author"`;
        expect(await onReplica(dataSource, read)).to.deep.equal([{ name: "public row" }]);
        try {
          await dataSource.query(change);
          expect(await onReplica(dataSource, read)).to.deep.equal([{ name: "other row" }]);
        } finally {
          await dataSource.query(`RESET search_path`);
        }
        expect(await onReplica(dataSource, read)).to.deep.equal([{ name: "public row" }]);
      });
    }

    it("should match the rows of a table without a primary key whole, duplicates included", async () => {
      const select = `SELECT "v" FROM "bag" ORDER BY "v"`;
      await dataSource.query(`INSERT INTO "bag" VALUES ('x'), ('x'), ('y')`);
      await dataSource.syncReplicas();
      await dataSource.query(`DELETE FROM "bag" WHERE ctid = (SELECT ctid FROM "bag" WHERE "v" = 'x' LIMIT 1)`);
      await dataSource.query(`UPDATE "bag" SET "v" = 'z' WHERE "v" = 'y'`);
      expect(await onReplica(dataSource, select)).to.deep.equal([{ v: "x" }, { v: "x" }, { v: "y" }]);
      await dataSource.syncReplicas();
      expect(await onReplica(dataSource, select)).to.deep.equal([{ v: "x" }, { v: "z" }]);
    });

    it("should carry over an update that moves keys onto each other within one statement", async () => {
      const select = `SELECT "id", "label" FROM "shift" ORDER BY "id"`;
      await dataSource.query(`INSERT INTO "shift" VALUES (1, 'one'), (2, 'two'), (3, 'three')`);
      await dataSource.syncReplicas();
      await dataSource.query(`UPDATE "shift" SET "id" = "id" + 1`);
      await dataSource.syncReplicas();
      expect(await onReplica(dataSource, select)).to.deep.equal([
        { id: 2, label: "one" },
        { id: 3, label: "two" },
        { id: 4, label: "three" },
      ]);
    });

    it("should carry a TRUNCATE over, with the writes after it", async () => {
      const select = `SELECT "v" FROM "bag" ORDER BY "v"`;
      await dataSource.query(`INSERT INTO "bag" VALUES ('before')`);
      await dataSource.syncReplicas();
      await dataSource.query(`TRUNCATE "bag"`);
      await dataSource.query(`INSERT INTO "bag" VALUES ('after')`);
      expect(await onReplica(dataSource, select)).to.deep.equal([{ v: "before" }]);
      await dataSource.syncReplicas();
      expect(await onReplica(dataSource, select)).to.deep.equal([{ v: "after" }]);
    });

    it("should read views and tables of other schemas from the replica's copies", async () => {
      await dataSource.getRepository(Author).save({ name: "lagging" });
      await dataSource.query(`INSERT INTO "archive"."entry" VALUES (1, 'lagging')`);
      const view = `SELECT "name" FROM "author_names"`;
      const other = `SELECT "what" FROM archive.entry`;
      expect(await onReplica(dataSource, view)).to.deep.equal([]);
      expect(await onReplica(dataSource, other)).to.deep.equal([]);
      await dataSource.syncReplicas();
      expect(await onReplica(dataSource, view)).to.deep.equal([{ name: "lagging" }]);
      expect(await onReplica(dataSource, other)).to.deep.equal([{ what: "lagging" }]);
    });

    it("should refuse a read of what a replica cannot hold, and run reads of the catalogs and settings", async () => {
      const error = await rejectionOf(onReplica(dataSource, `SELECT "n" FROM "author_count"`));
      expect(error).to.be.instanceOf(ReplicaLagError).and.to.include({ failure: "unreplicated-read" });
      expect((error as Error).message).to.match(/materialized view/);
      expect(
        await onReplica(dataSource, `SELECT count(*)::int AS "n" FROM pg_catalog.pg_namespace WHERE nspname = 'archive'`),
      ).to.deep.equal([{ n: 1 }]);
      expect(await onReplica(dataSource, `SHOW "DateStyle"`)).to.have.length(1);
    });

    it("should stream a replica read from the replica's copy", async () => {
      await dataSource.getRepository(Author).save({ name: "synced" });
      await dataSource.syncReplicas();
      await dataSource.getRepository(Author).save({ name: "not synced" });
      const rows: unknown[] = [];
      await withReplicaRunner(dataSource, 0, async (runner) => {
        for await (const row of (await runner.stream(`SELECT "name" FROM "author" ORDER BY "name"`)) as AsyncIterable<unknown>)
          rows.push(row);
      });
      expect(rows).to.deep.equal([{ name: "synced" }]);
      // A stream the replica cannot serve is refused before it holds the connection.
      const refused = await rejectionOf(withReplicaRunner(dataSource, 0, (runner) => runner.stream(`SELECT "n" FROM "author_count"`)));
      expect(refused).to.be.instanceOf(ReplicaLagError).and.to.include({ failure: "unreplicated-read" });
      expect(await onReplica(dataSource, `SELECT "name" FROM "author"`)).to.deep.equal([{ name: "synced" }]);
    });

    it("should refuse to fetch from a cursor the master declared, and fetch from one the replica declared", async () => {
      await dataSource.getRepository(Author).save({ name: "not synced" });
      await dataSource.query(`DECLARE "on_master" CURSOR WITH HOLD FOR SELECT "name" FROM "author"`);
      try {
        const error = await rejectionOf(onReplica(dataSource, `FETCH ALL FROM "on_master"`));
        expect(error).to.be.instanceOf(ReplicaLagError).and.to.include({ failure: "unreplicated-read" });
      } finally {
        await dataSource.query(`CLOSE "on_master"`);
      }
      await withReplicaRunner(dataSource, 0, async (runner) => {
        await runner.query(`DECLARE "on_replica" CURSOR WITH HOLD FOR SELECT "name" FROM "author"`);
        expect(await runner.query(`FETCH ALL FROM "on_replica"`)).to.deep.equal([]);
        await runner.query(`CLOSE "on_replica"`);
      });
    });

    it("should refuse a read calling a function of the application's that may read tables, since it would read the master's", async () => {
      for (const sql of [
        `SELECT "author_total"() AS "n"`,
        `SELECT "n" FROM "author_totals"`,
        `SELECT query_to_xml('SELECT "name" FROM "author"', true, false, '') AS "x"`,
      ]) {
        const error = await rejectionOf(onReplica(dataSource, sql));
        expect(error, sql).to.be.instanceOf(ReplicaLagError).and.to.include({ failure: "unreplicated-read" });
      }
      expect(((await rejectionOf(onReplica(dataSource, `SELECT "author_total"() AS "n"`))) as Error).message).to.include("author_total()");
      expect(await onReplica(dataSource, `SELECT "twice"(21) AS "n", upper('pg') AS "s"`)).to.deep.equal([{ n: 42, s: "PG" }]);
    });
  });

  describe(`${name}: replica lag with a truncating lifecycle, which commits`, function () {
    this.timeout(PGLITE_START_TIMEOUT);
    let dataSource: SharedReplicationDataSource;
    const leftovers = async () =>
      dataSource.query(
        `SELECT (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'typeorm\\_shared\\_lag%')::int AS "schemas", ` +
          `(SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'typeorm\\_shared\\_lag%')::int AS "triggers"`,
      );

    before(async () => {
      dataSource = createTestDataSource({ engine, replicaLag: "manual" });
      await dataSource.initialize();
    });
    after(() => dataSource.destroy());

    it("should leave nothing of the replicas' copies in the database after the group, and build them again for the next", async () => {
      const lifecycle = new TruncatingTestLifecycle(dataSource);
      await lifecycle.beginGroup();
      await lifecycle.beginTest();
      await dataSource.getRepository(Author).save({ name: "committed" });
      expect(await onReplica(dataSource, `SELECT "name" FROM "author"`)).to.deep.equal([]);
      await dataSource.syncReplicas();
      expect(await onReplica(dataSource, `SELECT "name" FROM "author"`)).to.deep.equal([{ name: "committed" }]);
      expect((await leftovers())[0].schemas).to.be.greaterThan(0);
      await lifecycle.endTest();
      await lifecycle.endGroup();
      expect(await leftovers()).to.deep.equal([{ schemas: 0, triggers: 0 }]);

      const isolation = new TestIsolation(dataSource);
      await isolation.beginGroup();
      await isolation.beginTest();
      try {
        await dataSource.getRepository(Author).save({ name: "lagging" });
        expect(await onReplica(dataSource, `SELECT "name" FROM "author"`)).to.deep.equal([]);
        await dataSource.syncReplicas();
        expect(await onReplica(dataSource, `SELECT "name" FROM "author"`)).to.deep.equal([{ name: "lagging" }]);
      } finally {
        await isolation.endTest();
        await isolation.endGroup();
      }
      expect(await leftovers()).to.deep.equal([{ schemas: 0, triggers: 0 }]);
    });
  });
}
