import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Column, Entity, PrimaryGeneratedColumn, type DataSourceOptions, type MigrationInterface, type QueryRunner } from "typeorm";
import { productionOptions } from "../ormconfig.test";
import { EngineNotInstalledError, EngineUnavailableError, InvalidSettingsError, SharedReplicationDataSource } from "../src";
import { Author, Post } from "./fixtures/blog-entities";
import { rejectionOf } from "./support/capture-error";
import { DRIVER_TYPES, PGLITE_PACKAGE, testCombination } from "./support/test-combination";

const root = path.resolve(__dirname, "..");

/** What production Postgres has and the SQLite engines could only refuse or approximate. */
@Entity("pglite_ledger")
class Ledger {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column("citext", { unique: true })
  email!: string;

  @Column("money")
  balance!: string;

  @Column("hstore", { hstoreType: "object", nullable: true })
  tags!: Record<string, string> | null;

  @Column("tsvector", { nullable: true })
  search!: string | null;

  @Column("timetz", { nullable: true })
  opensAt!: string | null;

  @Column("text", { array: true, nullable: true })
  events!: string[] | null;

  @Column("numeric", { precision: 38, scale: 10, nullable: true })
  exact!: string | null;

  @Column("int8", { nullable: true })
  big!: string | null;
}

class CreateCities1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE EXTENSION IF NOT EXISTS pg_trgm");
    await queryRunner.query("CREATE TABLE city (id serial PRIMARY KEY, name text NOT NULL)");
    await queryRunner.query("CREATE INDEX city_name_trgm ON city USING gin (name gin_trgm_ops)");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE city");
  }
}

// A Postgres application on every leg (the MariaDB leg's productionOptions are MariaDB's).
const postgresApp = (options: Partial<DataSourceOptions> = {}) =>
  ({ ...productionOptions, type: "postgres", ...options }) as DataSourceOptions;

if (testCombination.postgres !== "pglite") {
  // The SQLite legs: @electric-sql/pglite looks uninstalled (test/support/use-test-combination.ts).
  describe("pglite engine, with @electric-sql/pglite not installed", () => {
    it("should say how to install it when the engine setting asks for it", () => {
      let error: unknown;
      try {
        new SharedReplicationDataSource(postgresApp(), { engine: "pglite" });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(EngineNotInstalledError);
      expect((error as EngineNotInstalledError).installCommand).to.equal(`npm install --save-dev ${PGLITE_PACKAGE}`);
    });

    it("should run a Postgres application on SQLite by default", () => {
      expect(new SharedReplicationDataSource(postgresApp()).options.type).to.equal(DRIVER_TYPES[testCombination.engine]);
    });
  });
}

if (testCombination.postgres === "pglite") {
  describe("pglite engine", function () {
    // The first PGlite of a process starts in about 3 s without a snapshot.
    this.timeout(60_000);

    describe("selection", () => {
      it("should be the default engine of a Postgres application when installed", async () => {
        const dataSource = new SharedReplicationDataSource(postgresApp({ entities: [Author, Post] }));
        await dataSource.initialize();
        try {
          expect(dataSource.options.type).to.equal("postgres");
          const [row] = (await dataSource.query("SELECT version() AS version")) as { version: string }[];
          expect(row!.version).to.match(/^PostgreSQL \d+/);
        } finally {
          await dataSource.destroy();
        }
      });

      it("should leave SQLite the default of a MySQL application", () => {
        const mysql = new SharedReplicationDataSource(postgresApp({ type: "mysql" } as Partial<DataSourceOptions>));
        expect(mysql.options.type).to.equal(DRIVER_TYPES[testCombination.engine]);
      });

      it("should stay the default of a Postgres application that asks for replica lag", () => {
        const lagging = new SharedReplicationDataSource(postgresApp(), { replicaLag: "manual" });
        expect(lagging.options.type).to.equal("postgres");
        expect(lagging.replicaLag).to.equal("manual");
      });

      it("should refuse to run a MySQL application on PGlite, saying what to use", () => {
        let error: unknown;
        try {
          new SharedReplicationDataSource(postgresApp({ type: "mysql" } as Partial<DataSourceOptions>), { engine: "pglite" });
        } catch (caught) {
          error = caught;
        }
        expect(error).to.be.instanceOf(InvalidSettingsError);
        expect((error as Error).message).to.contain("PGlite is Postgres");
      });

      it("should say how to run PGlite under Jest, and fall back to SQLite by default there", () => {
        const before = { worker: process.env.JEST_WORKER_ID, nodeOptions: process.env.NODE_OPTIONS };
        process.env.JEST_WORKER_ID = "1";
        delete process.env.NODE_OPTIONS;
        try {
          let error: unknown;
          try {
            new SharedReplicationDataSource(postgresApp(), { engine: "pglite" });
          } catch (caught) {
            error = caught;
          }
          expect(error).to.be.instanceOf(EngineUnavailableError);
          expect((error as Error).message).to.contain("NODE_OPTIONS=--experimental-vm-modules");
          expect(new SharedReplicationDataSource(postgresApp()).options.type).to.equal(DRIVER_TYPES[testCombination.engine]);
        } finally {
          if (before.worker === undefined) delete process.env.JEST_WORKER_ID;
          else process.env.JEST_WORKER_ID = before.worker;
          if (before.nodeOptions !== undefined) process.env.NODE_OPTIONS = before.nodeOptions;
        }
      });

      it("should refuse an extension PGlite does not ship", () => {
        let error: unknown;
        try {
          new SharedReplicationDataSource(postgresApp(), { engine: { type: "pglite", extensions: ["postgis"] } });
        } catch (caught) {
          error = caught;
        }
        expect(error).to.be.instanceOf(InvalidSettingsError);
        expect((error as Error).message)
          .to.contain('"postgis"')
          .and.contain("pg_trgm");
      });
    });

    describe("Postgres itself", () => {
      let dataSource: SharedReplicationDataSource;

      before(async () => {
        dataSource = new SharedReplicationDataSource(postgresApp({ entities: [Author, Post, Ledger] }), { engine: "pglite" });
        await dataSource.initialize();
      });

      after(() => dataSource.destroy());

      afterEach(() => dataSource.query("DELETE FROM pglite_ledger"));

      it("should return every value exactly as pg's own type parsers do", async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const pg = require("pg") as { types: { getTypeParser(oid: number, format: "text"): (text: string) => unknown } };
        const columns: Record<string, string> = {
          big: "9007199254740993::int8",
          exact: "12345678901234567890.123456789::numeric",
          bytes: "'\\xdeadbeef'::bytea",
          span: "'1 day 02:03:04'::interval",
          day: "'2024-02-29'::date",
          at: "'2024-02-29 10:00:00+00'::timestamptz",
          local: "'2024-02-29 10:00:00'::timestamp",
          ints: "ARRAY[1, 2]::int[]",
          doc: `'{"a": [1, 2]}'::jsonb`,
          id: "'6c4e8d3e-6f0b-4c8e-9a53-6b3f1a2b7c9d'::uuid",
          flag: "true",
          real: "1.5::float4",
        };
        const select = Object.entries(columns).map(([name, sql]) => `${sql} AS ${name}`);
        const asText = Object.entries(columns).map(([name, sql]) => `(${sql})::text AS ${name}`);
        const [values] = (await dataSource.query(`SELECT ${select.join(", ")}`)) as Record<string, unknown>[];
        const [texts] = (await dataSource.query(`SELECT ${asText.join(", ")}`)) as Record<string, string>[];
        const oids = (await dataSource.query(
          `SELECT ${Object.entries(columns)
            .map(([name, sql]) => `pg_typeof(${sql})::oid::int AS ${name}`)
            .join(", ")}`,
        )) as Record<string, number>[];
        for (const name of Object.keys(columns)) {
          const parse = pg.types.getTypeParser(oids[0]![name]!, "text");
          expect(values![name], name).to.deep.equal(parse(texts![name]!));
        }
        expect(values!.big).to.equal("9007199254740993");
        expect(values!.exact).to.equal("12345678901234567890.123456789");
        expect(Buffer.isBuffer(values!.bytes)).to.equal(true);
      });

      it("should round-trip the column types SQLite cannot hold: money, hstore, tsvector, timetz, text[], citext, uuid, numeric(38,10), int8", async () => {
        const repository = dataSource.getRepository(Ledger);
        const saved = await repository.save({
          email: "Alice@Example.com",
          balance: "12.34",
          tags: { tier: "gold" },
          search: "'brown':3 'fox':4 'quick':2",
          opensAt: "09:30:00+02",
          events: ["opened", 'said "hi", then left', "{braced}"],
          exact: "1234567890123456789012345678.0123456789",
          big: "9223372036854775807",
        });
        expect(saved.id).to.match(/^[0-9a-f-]{36}$/);
        const read = await repository.findOneByOrFail({ email: "alice@example.com" });
        expect(read).to.deep.include({
          email: "Alice@Example.com",
          balance: "$12.34",
          tags: { tier: "gold" },
          search: "'brown':3 'fox':4 'quick':2",
          opensAt: "09:30:00+02",
          exact: "1234567890123456789012345678.0123456789",
          big: "9223372036854775807",
        });
        expect(read.events).to.deep.equal(["opened", 'said "hi", then left', "{braced}"]);
        const duplicate = await rejectionOf(repository.save({ email: "ALICE@example.com", balance: "1" }));
        expect((duplicate as { driverError?: { code?: string } }).driverError?.code).to.equal("23505");
      });

      it("should run the SQL SQLite cannot: casts, ILIKE, case-sensitive LIKE, jsonb operators, DISTINCT ON, full-text search, multi-dimensional arrays", async () => {
        const [row] = (await dataSource.query(
          `SELECT '42'::int + 1 AS cast, 'Alice' ILIKE 'alice' AS ilike, 'Alice' LIKE 'alice' AS "like",
                  '{"a": {"b": 2}}'::jsonb -> 'a' ->> 'b' AS path, '{"a": 1, "b": 2}'::jsonb @> '{"a": 1}' AS contains,
                  to_tsvector('english', 'The quick brown foxes') @@ to_tsquery('english', 'fox') AS matches,
                  ARRAY[ARRAY['a', 'b'], ARRAY['c', 'd']] AS matrix`,
        )) as Record<string, unknown>[];
        expect(row).to.deep.equal({
          cast: 43,
          ilike: true,
          like: false,
          path: "2",
          contains: true,
          matches: true,
          matrix: [
            ["a", "b"],
            ["c", "d"],
          ],
        });
        const firsts = (await dataSource.query(
          "SELECT DISTINCT ON (team) team, name FROM (VALUES ('a', 'x'), ('a', 'y'), ('b', 'z')) AS t(team, name) ORDER BY team, name DESC",
        )) as Record<string, unknown>[];
        expect(firsts).to.deep.equal([
          { team: "a", name: "y" },
          { team: "b", name: "z" },
        ]);
      });

      it("should give now() in raw SQL the transaction's start time, as Postgres does", async () => {
        await dataSource.transaction(async (manager) => {
          const [first] = (await manager.query("SELECT now() AS at")) as { at: Date }[];
          await new Promise((resolve) => setTimeout(resolve, 20));
          const [second] = (await manager.query("SELECT now() AS at, clock_timestamp() AS clock")) as { at: Date; clock: Date }[];
          expect(first!.at).to.be.instanceOf(Date);
          expect(second!.at.getTime()).to.equal(first!.at.getTime());
          expect(second!.clock.getTime()).to.be.greaterThan(first!.at.getTime());
        });
      });

      it("should abort a transaction after a failed statement, and keep a test going after one outside transactions", async () => {
        const aborted = await rejectionOf(
          dataSource.transaction(async (manager) => {
            await rejectionOf(manager.query("SELECT 1 / 0"));
            await manager.query("SELECT 1");
          }),
        );
        expect((aborted as { driverError?: { code?: string } }).driverError?.code).to.equal("25P02");
        const failed = await rejectionOf(dataSource.query("SELECT 1 / 0"));
        expect((failed as { driverError?: { code?: string } }).driverError?.code).to.equal("22012");
        expect(await dataSource.query("SELECT 1 AS one")).to.deep.equal([{ one: 1 }]);
      });

      // The replica guard against PGlite's own read-only transactions: every Postgres case of the
      // guard table, in test/replica-guard-cases.test.ts.
    });

    it("should roll back everything a DataSource did when it is destroyed, as on a server", async () => {
      const first = new SharedReplicationDataSource(postgresApp({ entities: [Author, Post] }), { engine: "pglite" });
      await first.initialize();
      await first.getRepository(Author).save({ name: "kept only until destroy" });
      expect(await first.getRepository(Author).count()).to.equal(1);
      await first.destroy();
      const second = new SharedReplicationDataSource(postgresApp({ entities: [Author, Post] }), { engine: "pglite" });
      await second.initialize();
      try {
        expect(await second.getRepository(Author).count()).to.equal(0);
      } finally {
        await second.destroy();
      }
    });

    it("should give two DataSources open at once a database each: PGlite is one connection", async () => {
      const one = new SharedReplicationDataSource(postgresApp({ entities: [Author, Post] }), { engine: "pglite" });
      const two = new SharedReplicationDataSource(postgresApp({ entities: [Author, Post] }), { engine: "pglite" });
      await one.initialize();
      await two.initialize();
      try {
        await one.getRepository(Author).save({ name: "only in one" });
        expect(await two.getRepository(Author).count()).to.equal(0);
      } finally {
        await two.destroy();
        await one.destroy();
      }
    });

    it("should show a DataSource its own schema only, not what a DataSource of other entities left in the process's database", async () => {
      // What a new cluster's namespaces are, to compare with after the database was emptied.
      const namespaces = `SELECT nspname, nspowner::regrole::text AS owner, nspacl::text AS acl, obj_description(oid, 'pg_namespace') AS comment
        FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%temp\\_%' ORDER BY nspname`;
      const tablesOf = async (dataSource: SharedReplicationDataSource) =>
        ((await dataSource.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")) as { tablename: string }[]).map(
          (row) => row.tablename,
        );
      const ledger = new SharedReplicationDataSource(postgresApp({ entities: [Ledger] }), { engine: "pglite" });
      await ledger.initialize();
      expect(await tablesOf(ledger)).to.deep.equal(["pglite_ledger"]);
      await ledger.destroy();
      const blog = new SharedReplicationDataSource(postgresApp({ entities: [Author, Post] }), { engine: "pglite" });
      await blog.initialize();
      try {
        expect(await tablesOf(blog)).to.deep.equal(["author", "post"]);
        // citext and hstore went with the Ledger's schema; public is as a new cluster has it.
        expect(await blog.query("SELECT extname FROM pg_extension ORDER BY 1")).to.deep.equal([{ extname: "plpgsql" }]);
        expect(await blog.query(namespaces)).to.deep.include({
          nspname: "public",
          owner: "pg_database_owner",
          acl: "{pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}",
          comment: "standard public schema",
        });
      } finally {
        await blog.destroy();
      }
      // The same entities again: the schema is still there, and is not created anew.
      const again = new SharedReplicationDataSource(postgresApp({ entities: [Author, Post] }), { engine: "pglite" });
      const { queries: created } = await again.queryLog.capture(() => again.initialize());
      try {
        expect(created.filter((entry) => /^CREATE TABLE/i.test(entry.sql))).to.deep.equal([]);
        expect(await tablesOf(again)).to.deep.equal(["author", "post"]);
      } finally {
        await again.destroy();
      }
    });

    it('should run raw-SQL Postgres migrations (schema: "migrations"), loading pg_trgm because they use it', async () => {
      const dataSource = new SharedReplicationDataSource(postgresApp({ entities: [], migrations: [CreateCities1700000000000] }), {
        engine: "pglite",
        schema: "migrations",
      });
      await dataSource.initialize();
      try {
        await dataSource.query("INSERT INTO city (name) VALUES ('Amsterdam'), ('Rotterdam'), ('Lisbon')");
        const rows = (await dataSource.query(
          "SELECT name FROM city WHERE name % 'Amsterdm' ORDER BY similarity(name, 'Amsterdm') DESC",
        )) as { name: string }[];
        expect(rows.map((row) => row.name)).to.deep.equal(["Amsterdam"]);
      } finally {
        await dataSource.destroy();
      }
    });

    describe("start from a snapshot", function () {
      let cacheDirectory: string;

      before(async () => {
        cacheDirectory = await mkdtemp(path.join(os.tmpdir(), "pglite-snapshots-"));
      });

      after(() => rm(cacheDirectory, { recursive: true, force: true }));

      async function startInNewProcess(): Promise<{ ms: number; createdTables: number }> {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [
            "--require",
            "ts-node/register/transpile-only",
            "--require",
            "./test/support/use-test-combination.ts",
            "test/fixtures/pglite-runs/start-from-snapshot.ts",
            cacheDirectory,
          ],
          { cwd: root, env: { ...process.env, TEST_ENGINE: "pglite" } },
        );
        return JSON.parse(stdout.trim().split("\n").pop()!) as { ms: number; createdTables: number };
      }

      it("should create the schema on the first run, then start the next runs from its snapshot", async () => {
        const cold = await startInNewProcess();
        expect(cold.createdTables).to.equal(2);
        const files = await readdir(cacheDirectory);
        expect(files.filter((file) => file.includes("-cluster"))).to.have.length(1);
        expect(files.filter((file) => file.includes("-schema-") && file.endsWith(".tar"))).to.have.length(1);
        const warm = await startInNewProcess();
        expect(warm.createdTables).to.equal(0);
        expect(warm.ms).to.be.lessThan(cold.ms);
        process.stdout.write(`      PGlite start: first run ${cold.ms.toFixed(0)} ms, next run ${warm.ms.toFixed(0)} ms\n`);
      });
    });
  });
}
