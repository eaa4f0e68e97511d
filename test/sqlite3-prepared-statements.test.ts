import { expect } from "chai";
import fc from "fast-check";
import { DataSource, type DataSourceOptions } from "typeorm";
import { productionOptions } from "../ormconfig.test";
import { SharedReplicationDataSource } from "../src";
import { Sqlite3StatementCache, type Sqlite3StatementApi } from "../src/engines/sqlite3/sqlite3-statement-cache";
import { blogEntities } from "./fixtures/blog-entities";
import { testCombination } from "./support/test-combination";

interface Sqlite3Module {
  Database: new (file: string, callback?: (error: Error | null) => void) => RawDatabase;
  Statement: Sqlite3StatementApi["Statement"] & { prototype: Omit<Sqlite3StatementApi, "Statement"> };
}

interface RawDatabase {
  all(sql: string, ...rest: unknown[]): unknown;
  run(sql: string, ...rest: unknown[]): unknown;
  exec(sql: string, callback: (error: Error | null) => void): unknown;
  close(callback: (error: Error | null) => void): unknown;
}

type Outcome = { readonly rows?: unknown; readonly lastID?: number; readonly changes?: number; readonly error?: string };

// Only the sqlite3 package keeps statements prepared (TypeORM 1.x has no driver for it): only its combinations run this.
if (testCombination.engine === "sqlite3") {
  describe("sqlite3 prepared statements", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sqlite3 = require("sqlite3") as Sqlite3Module;

    /** A raw connection, with the cache installed unless `cached` is false, counting the statements the cache prepares. */
    async function cachedDatabase(cached = true): Promise<{ database: RawDatabase; prepared: string[] }> {
      const database = await new Promise<RawDatabase>((resolve, reject) => {
        const opened = new sqlite3.Database(":memory:", (error) => (error ? reject(error) : resolve(opened)));
      });
      await call((done) => database.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, value INTEGER UNIQUE, name TEXT)", done));
      const prepared: string[] = [];
      if (!cached) return { database, prepared };
      const Statement = function (this: unknown, db: object, sql: string, callback: (error: Error | null) => void) {
        prepared.push(sql);
        return new sqlite3.Statement(db, sql, callback);
      } as unknown as Sqlite3StatementApi["Statement"];
      const { all, run, finalize } = sqlite3.Statement.prototype;
      Sqlite3StatementCache.install(database, { Statement, all, run, finalize });
      return { database, prepared };
    }

    function call(fn: (callback: (error: Error | null) => void) => unknown): Promise<void> {
      return new Promise((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));
    }

    /** What node-sqlite3 hands TypeORM's callback: rows, or lastID and changes, or the error. */
    function outcomeOf(database: RawDatabase, method: "all" | "run", sql: string, parameters: unknown[]): Promise<Outcome> {
      return new Promise((resolve) => {
        database[method](sql, parameters, function (this: { lastID?: number; changes?: number }, error: Error | null, rows?: unknown) {
          if (error) resolve({ error: error.message });
          else if (method === "all") resolve({ rows });
          else resolve({ lastID: this.lastID, changes: this.changes });
        });
      });
    }

    it("should prepare a repeated statement once and answer each call as a freshly prepared one does", async () => {
      const { database, prepared } = await cachedDatabase();
      // node-sqlite3 on its own: each call prepares, runs and finalizes its statement.
      const plain = await cachedDatabase(false);
      try {
        const insert = "INSERT INTO item (value, name) VALUES (?, ?)";
        for (const value of [1, 2, 3]) {
          const outcome = await outcomeOf(database, "run", insert, [value, `item ${value}`]);
          expect(outcome).to.deep.equal({ lastID: value, changes: 1 });
        }
        const select = "SELECT id, value, name FROM item WHERE value >= ? ORDER BY id";
        expect(await outcomeOf(database, "all", select, [2])).to.deep.equal({
          rows: [
            { id: 2, value: 2, name: "item 2" },
            { id: 3, value: 3, name: "item 3" },
          ],
        });
        expect(await outcomeOf(database, "all", select, [3])).to.deep.equal({ rows: [{ id: 3, value: 3, name: "item 3" }] });
        expect(prepared.filter((sql) => sql === insert)).to.have.length(1);
        expect(prepared.filter((sql) => sql === select)).to.have.length(1);
        // A statement run without parameters would keep the last call's bound: it is not served from the cache.
        expect(await outcomeOf(database, "all", "SELECT COUNT(*) AS n FROM item", [])).to.deep.equal({ rows: [{ n: 3 }] });
        expect(prepared).not.to.include("SELECT COUNT(*) AS n FROM item");
        // A failed statement reports node-sqlite3's error, and the same text runs again afterwards.
        const duplicate = await outcomeOf(database, "run", insert, [1, "again"]);
        const fresh = await outcomeOf(plain.database, "run", insert, [9, "x"]).then(() =>
          outcomeOf(plain.database, "run", insert, [9, "y"]),
        );
        expect(duplicate.error).to.equal(fresh.error).and.to.contain("UNIQUE constraint failed");
        expect(await outcomeOf(database, "run", insert, [4, "item 4"])).to.deep.equal({ lastID: 4, changes: 1 });
      } finally {
        await call((done) => database.close(done));
        await call((done) => plain.database.close(done));
      }
    });

    it("should give every caller of a text that does not prepare the error, and keep nothing of it", async () => {
      const { database, prepared } = await cachedDatabase();
      try {
        const broken = "SELECT * FROM missing WHERE id = ?";
        const outcomes = await Promise.all([outcomeOf(database, "all", broken, [1]), outcomeOf(database, "all", broken, [2])]);
        for (const outcome of outcomes) expect(outcome.error).to.contain("no such table: missing");
        await call((done) => database.exec("CREATE TABLE missing (id INTEGER)", done));
        expect(await outcomeOf(database, "all", broken, [1])).to.deep.equal({ rows: [] });
        expect(prepared.filter((sql) => sql === broken)).to.have.length(2);
      } finally {
        await call((done) => database.close(done));
      }
    });

    it("should leave statements that stay active once run to node-sqlite3, so a table can still be dropped", async () => {
      const { database, prepared } = await cachedDatabase();
      try {
        // run() stops at the first row RETURNING gives; an EXPLAIN counts as reading until it is reset.
        expect(await outcomeOf(database, "run", "INSERT INTO item (value) VALUES (?) RETURNING id", [5])).to.include({ lastID: 1 });
        expect(await outcomeOf(database, "all", "EXPLAIN SELECT * FROM item WHERE value = ?", [5])).to.have.property("rows");
        expect(await outcomeOf(database, "all", "SELECT value FROM item WHERE value = ?", [5])).to.deep.equal({ rows: [{ value: 5 }] });
        expect(prepared).to.deep.equal(["SELECT value FROM item WHERE value = ?"]);
        await call((done) => database.exec("CREATE TEMP TABLE scratch (a); DROP TABLE temp.scratch; DROP TABLE item", done));
      } finally {
        await call((done) => database.close(done));
      }
    });

    it("should finalize every statement before the connection closes, also past its limit and while one prepares", async () => {
      const { database, prepared } = await cachedDatabase();
      const texts = Array.from({ length: 300 }, (_, i) => `SELECT ? + ${i} AS n`);
      for (const [i, sql] of texts.entries()) expect(await outcomeOf(database, "all", sql, [1])).to.deep.equal({ rows: [{ n: i + 1 }] });
      expect(prepared).to.have.length(300);
      // The first texts were finalized to keep 256: they are prepared again.
      await outcomeOf(database, "all", texts[0]!, [2]);
      expect(prepared).to.have.length(301);
      const pending = outcomeOf(database, "all", "SELECT ? AS last", [7]);
      await call((done) => database.close(done));
      expect(await pending).to.deep.equal({ rows: [{ last: 7 }] });
    });

    describe("a Postgres application's integer parameters", () => {
      // A Postgres application in every leg (the MariaDB leg's productionOptions are MariaDB's), on sqlite3.
      const options = { ...productionOptions, type: "postgres", entities: blogEntities } as DataSourceOptions;

      it("should be sent as parameters and read back as the number written into the text reads", async () => {
        const shared = new SharedReplicationDataSource(options, { engine: "sqlite3" });
        // Cast: TypeORM 1.x, whose types the matrix also checks against, has no `type: "sqlite"`.
        const plain = new DataSource({ type: "sqlite", database: ":memory:" } as unknown as DataSourceOptions);
        await Promise.all([shared.initialize(), plain.initialize()]);
        const read = (dataSource: DataSource, value: number) =>
          dataSource
            .createQueryBuilder()
            .select(":value", "value")
            .addSelect("typeof(:value)", "type")
            .addSelect(":value / 2", "half")
            .from("author", "author")
            .where("1 = 1 OR :value = 0")
            .setParameters({ value })
            .limit(1)
            .getRawMany()
            .then(
              (rows) => ({ rows }),
              (error: Error) => ({ error: error.message }),
            );
        try {
          await shared.query("INSERT INTO author (name) VALUES ('one')");
          await plain.query("CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT)");
          await plain.query("INSERT INTO author (name) VALUES ('one')");
          const values = fc.oneof(
            fc.integer(),
            fc.integer({ min: 2 ** 31, max: 2 ** 53 }),
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.constantFrom(0, -0, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 1.5, -7),
          );
          await fc.assert(
            fc.asyncProperty(values, async (value) => {
              expect(await read(shared, value)).to.deep.equal(await read(plain, value));
            }),
            { numRuns: 60 },
          );
          const [sql, parameters] = shared
            .createQueryBuilder()
            .select(":value", "value")
            .from("author", "author")
            .setParameters({ value: 6 })
            .getQueryAndParameters();
          expect(sql).to.equal('SELECT ? AS "value" FROM "author" "author"');
          expect(parameters).to.deep.equal([6]);
        } finally {
          await Promise.all([shared.destroy(), plain.destroy()]);
        }
      });

      it("should close and open again with its statements prepared, and read the same rows", async () => {
        const dataSource = new SharedReplicationDataSource(options, { engine: "sqlite3" });
        await dataSource.initialize();
        const byId = (id: number) => dataSource.getRepository("Author").findOneBy({ id });
        const created = await dataSource.getRepository("Author").save({ name: "kept until destroy" });
        expect(await byId(created.id)).to.include({ name: "kept until destroy" });
        await dataSource.destroy();
        await dataSource.initialize();
        try {
          expect(await byId(created.id)).to.equal(null);
          const again = await dataSource.getRepository("Author").save({ name: "after reopening" });
          expect(await byId(again.id)).to.include({ name: "after reopening" });
        } finally {
          await dataSource.destroy();
        }
      });
    });
  });
}
