import { expect } from "chai";
import { execFile } from "node:child_process";
import Module from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import type { DataSourceOptions } from "typeorm";
import { createTestDataSource, productionOptions, serverEngine, testServer } from "../ormconfig.test";
import {
  EngineNotInstalledError,
  InvalidSettingsError,
  SharedReplicationDataSource,
  UnsafeTestDatabaseError,
  useTransactionalTests,
} from "../src";
import { Author } from "./fixtures/blog-entities";
import { Item } from "./fixtures/item-entity";

const run = promisify(execFile);
const root = path.resolve(__dirname, "..");

/** A client connection of `pg` or `mysql2`, as the keepDatabase test uses one. */
interface AdminConnection {
  connect(): Promise<unknown>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

/** A later run of the suite (argv: the server): reads the kept database with a larger set of entities. */
const NEXT_RUN = `
require("reflect-metadata");
const { createTestDataSource, serverEngine } = require("./ormconfig.test");
const { Item } = require("./test/fixtures/item-entity");
const { Author, Post } = require("./test/fixtures/blog-entities");
const type = process.argv[1];
const dataSource = createTestDataSource({ engine: { ...serverEngine(type, serverEngine(type).database + "_kept"), keepDatabase: true } }, { entities: [Item, Author, Post] });
(async () => {
  await dataSource.initialize();
  try {
    const values = (await dataSource.getRepository(Item).find()).map((item) => item.value);
    const runner = dataSource.createQueryRunner("slave");
    const [authorTable, postTable] = [await runner.hasTable("author"), await runner.hasTable("post")];
    await runner.release();
    process.stdout.write(JSON.stringify({ values, authorTable, postTable }) + "\\n");
  } finally {
    await dataSource.destroy();
  }
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

/**
 * The base name of another database this run uses, next to the suite's own (`TEST_SERVER_DATABASE`):
 * two runs at once never share one, which one of them would find in use.
 */
function besideSuite(name: string): string {
  return `${serverEngine(testServer ?? "postgres").database}_${name}`;
}

/** The guard tests' application: Postgres, as their unreachable engine, in every leg. */
const postgresApplication = { ...productionOptions, type: "postgres" } as DataSourceOptions;

function constructionError(settings: object, options: DataSourceOptions = postgresApplication): unknown {
  try {
    new SharedReplicationDataSource(options, settings);
  } catch (error) {
    return error;
  }
  throw new Error("expected the constructor to throw");
}

/** Runs `fn` with `variables` set (`undefined`: unset), then restores the environment as it was. */
function withEnv<T>(variables: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      // Assigning undefined would store the string "undefined".
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(variables);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}

// These refuse before any statement is sent, so they need no server: they run in every leg.
describe("test database guard", () => {
  // Port 9 (discard) on a TEST-NET address: if the guard let anything through, the error would be a connection error.
  const unreachable = { type: "postgres", host: "192.0.2.1", port: 9 } as const;

  it("should refuse to run when NODE_ENV is production, before connecting", () => {
    const error = withEnv({ NODE_ENV: "production" }, () => constructionError({ engine: { ...unreachable, database: "app" } }));
    expect(error).to.be.instanceOf(UnsafeTestDatabaseError);
    expect((error as Error).message).to.contain("NODE_ENV");
  });

  for (const worker of [undefined, "2"]) {
    it(`should refuse a database that is only the prefix${worker ? ", in parallel runs too" : ""}`, () => {
      const error = withEnv({ MOCHA_WORKER_ID: worker }, () => constructionError({ engine: { ...unreachable, database: "test_" } }));
      expect(error).to.be.instanceOf(UnsafeTestDatabaseError);
      expect((error as UnsafeTestDatabaseError).database).to.equal("test_");
    });
  }

  it("should refuse an empty test database prefix", () => {
    expect(constructionError({ engine: { ...unreachable, database: "app", testDatabasePrefix: "" } })).to.be.instanceOf(
      InvalidSettingsError,
    );
  });

  // "test" alone would make the real database "testimonials" a test database, to be dropped.
  for (const prefix of ["prod_", "app_test_", "test", "testing", "Test"]) {
    it(`should refuse the test database prefix ${JSON.stringify(prefix)}, saying what a prefix must look like`, () => {
      const error = constructionError({ engine: { ...unreachable, database: "app", testDatabasePrefix: prefix } });
      expect(error).to.be.instanceOf(InvalidSettingsError);
      expect((error as Error).message).to.contain('start with "test" and end with "_" or "-"');
    });
  }

  it("should accept a longer test database prefix and run in <prefix><database>", () => {
    const dataSource = new SharedReplicationDataSource(postgresApplication, {
      engine: { ...unreachable, database: "app", testDatabasePrefix: "test_ci_" },
    });
    expect(dataSource.options.database).to.equal("test_ci_app");
  });

  it("should refuse a server engine that names no database, saying what to set", () => {
    const error = constructionError({ engine: { ...unreachable } });
    expect(error).to.be.instanceOf(InvalidSettingsError);
    expect((error as InvalidSettingsError).setting).to.equal("engine");
    expect((error as Error).message)
      .to.contain("engine.database is not set")
      .and.to.contain("useApplicationOptions");
  });

  it("should refuse useApplicationOptions when the application's master names no database", () => {
    const application = { ...postgresApplication, replication: { master: { host: "primary.db.internal" }, slaves: [] } };
    const error = constructionError({ engine: { type: "postgres", useApplicationOptions: true } }, application as DataSourceOptions);
    expect(error).to.be.instanceOf(InvalidSettingsError);
    expect((error as Error).message).to.contain("the application's master options name no database");
  });

  it("should take the database name from the application's master with useApplicationOptions", () => {
    const dataSource = new SharedReplicationDataSource(postgresApplication, { engine: { type: "postgres", useApplicationOptions: true } });
    expect(dataSource.options.database).to.equal("test_blog");
  });

  it("should reject an unknown server type", () => {
    expect(constructionError({ engine: { type: "oracle" } })).to.be.instanceOf(InvalidSettingsError);
  });

  for (const [appType, serverType] of [
    ["postgres", "mariadb"],
    ["mysql", "postgres"],
    ["sqlite", "postgres"],
  ] as const) {
    it(`should refuse to run a ${appType} application on a ${serverType} server, naming the engine setting`, () => {
      const error = constructionError({ engine: { ...unreachable, type: serverType } }, {
        ...productionOptions,
        type: appType,
      } as DataSourceOptions);
      expect(error).to.be.instanceOf(InvalidSettingsError);
      expect((error as InvalidSettingsError).setting).to.equal("engine");
      expect((error as Error).message).to.contain(`"${appType}" application cannot run on a ${serverType} server`);
    });
  }

  for (const [type, packageName] of [
    ["postgres", "pg"],
    ["mariadb", "mysql2"],
  ] as const) {
    it(`should say how to install ${packageName} when the ${type} engine's driver is missing`, () => {
      const moduleWithLoad = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
      const load = moduleWithLoad._load;
      moduleWithLoad._load = function (request: string, ...rest: unknown[]) {
        if (request === packageName) throw Object.assign(new Error(`Cannot find module '${packageName}'`), { code: "MODULE_NOT_FOUND" });
        return load.call(this, request, ...rest);
      };
      try {
        const error = constructionError({ engine: { type, host: "192.0.2.1", database: "app" } }, {
          ...productionOptions,
          type,
        } as DataSourceOptions);
        expect(error).to.be.instanceOf(EngineNotInstalledError);
        expect((error as EngineNotInstalledError).installCommand).to.equal(`npm install --save-dev ${packageName}`);
      } finally {
        moduleWithLoad._load = load;
      }
    });
  }

  it("should derive test_<name>, and test_<name>_<worker> in parallel runs", async () => {
    const { testDatabaseName, workerDatabaseName } = await import("../src/engines/server/test-database");
    expect(testDatabaseName("app", "test_")).to.equal("test_app");
    expect(testDatabaseName("test_app", "test_")).to.equal("test_app");
    expect(workerDatabaseName("test_app", undefined)).to.equal("test_app");
    expect(workerDatabaseName("test_app", "3")).to.equal("test_app_3");
  });
});

// Defined only in the server legs of .ci/run (TEST_SERVER set): the in-memory legs have no server to test.
if (testServer)
  describe(`${testServer} engine`, function () {
    this.timeout(60_000);

    describe("expected errors inside a test", () => {
      const dataSource = createTestDataSource();
      useTransactionalTests(dataSource);
      const authorNames = async () =>
        (await dataSource.getRepository(Author).find({ order: { name: "ASC" } })).map((author) => author.name);

      it("should undo only the failing statement and let the test go on", async () => {
        const authors = dataSource.getRepository(Author);
        await authors.insert({ name: "alice" });
        const duplicate = await authors.insert({ name: "alice" }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(String(duplicate)).to.match(/duplicate|unique/i);
        await authors.insert({ name: "bob" });
        expect((await authors.find({ order: { name: "ASC" } })).map((a) => a.name)).to.deep.equal(["alice", "bob"]);
      });

      it("should let application code catch an error inside its own transaction and roll back", async () => {
        const outcome = await dataSource
          .transaction(async (manager) => {
            await manager.insert(Author, { name: "carol" });
            await manager.insert(Author, { name: "carol" });
          })
          .catch(() => "rolled back");
        expect(outcome).to.equal("rolled back");
        expect(await dataSource.getRepository(Author).count()).to.equal(0);
      });

      // A unique violation swallowed inside the application's transaction: Postgres has aborted the
      // transaction, so its COMMIT rolls back; MariaDB undid the statement alone, so it commits.
      it("should end a transaction that commits after a failed statement as the server does", async () => {
        const authors = dataSource.getRepository(Author);
        const runner = dataSource.createQueryRunner();
        await runner.startTransaction();
        await runner.manager.insert(Author, { name: "carol" });
        await runner.manager.insert(Author, { name: "carol" }).catch(() => undefined);
        await runner.commitTransaction();
        await runner.release();
        expect(await authors.count()).to.equal(testServer === "postgres" ? 0 : 1);
        await authors.insert({ name: "dave" });
        expect(await authors.countBy({ name: "dave" })).to.equal(1);
      });

      it("should commit a transaction that recovered from a failed statement with a savepoint of its own", async () => {
        const authors = dataSource.getRepository(Author);
        await authors.insert({ name: "dup" });
        const runner = dataSource.createQueryRunner();
        await runner.startTransaction();
        await runner.manager.insert(Author, { name: "x" });
        await runner.query("SAVEPOINT mine");
        await runner.manager.insert(Author, { name: "dup" }).catch(() => undefined);
        await runner.query("ROLLBACK TO SAVEPOINT mine");
        await runner.manager.insert(Author, { name: "y" });
        await runner.commitTransaction();
        await runner.release();
        expect(await authorNames()).to.deep.equal(["dup", "x", "y"]);
      });

      // In production the other runner's statement runs on a connection of its own and fails there alone.
      it("should keep a transaction going when another runner's statement fails inside its flow", async () => {
        const authors = dataSource.getRepository(Author);
        await authors.insert({ name: "dup" });
        await dataSource.transaction(async (manager) => {
          await manager.insert(Author, { name: "x" });
          const duplicate = await authors.insert({ name: "dup" }).then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(String(duplicate)).to.match(/duplicate|unique/i);
          await manager.insert(Author, { name: "y" });
        });
        expect(await authorNames()).to.deep.equal(["dup", "x", "y"]);
      });

      it("should end an inner transaction of another runner that commits after a failed statement as the server does", async () => {
        const authors = dataSource.getRepository(Author);
        await authors.insert({ name: "dup" });
        await dataSource.transaction(async (manager) => {
          await manager.insert(Author, { name: "outer" });
          // The inner transaction has a connection of its own in production: its COMMIT ends it alone.
          await dataSource.transaction(async (inner) => {
            await inner.insert(Author, { name: "inner" });
            await inner.insert(Author, { name: "dup" }).catch(() => undefined);
          });
        });
        expect(await authorNames()).to.deep.equal(testServer === "postgres" ? ["dup", "outer"] : ["dup", "inner", "outer"]);
      });

      it("should fail a nested commit after a failed statement where the server does, and let the outer transaction go on", async () => {
        const runner = dataSource.createQueryRunner();
        await runner.startTransaction();
        await runner.manager.insert(Author, { name: "alice" });
        await runner.startTransaction();
        await runner.manager.insert(Author, { name: "alice" }).catch(() => undefined);
        const nested = await runner.commitTransaction().then(
          () => "committed",
          (error: unknown) => error,
        );
        if (testServer === "postgres") {
          expect(String(nested)).to.match(/current transaction is aborted/);
          await runner.rollbackTransaction();
        } else {
          expect(nested).to.equal("committed");
        }
        await runner.manager.insert(Author, { name: "bob" });
        await runner.commitTransaction();
        await runner.release();
        expect(await authorNames()).to.deep.equal(["alice", "bob"]);
      });
    });

    it("should leave no rows when the process is killed in the middle of a test", async () => {
      const child = await run(
        process.execPath,
        ["--require", "ts-node/register/transpile-only", "test/fixtures/server-runs/killed-mid-test.ts", testServer!],
        {
          cwd: root,
        },
      ).then(
        () => {
          throw new Error("the child process was expected to be killed");
        },
        (error: { stdout: string; signal: string }) => error,
      );
      expect(child.signal).to.equal("SIGKILL");
      expect(child.stdout).to.contain("written");
      const check = createTestDataSource(
        { engine: { ...serverEngine(testServer!, besideSuite("crash")), keepDatabase: true } },
        { entities: [Item] },
      );
      await check.initialize();
      try {
        expect(await check.getRepository(Item).count()).to.equal(0);
      } finally {
        await check.destroy();
      }
    });

    it("should keep the database between runs with keepDatabase and synchronise it", async () => {
      const kept = { ...serverEngine(testServer!, besideSuite("kept")), keepDatabase: true };
      const first = createTestDataSource({ engine: kept }, { entities: [Item] });
      await first.initialize();
      const [{ name: database }] = (await first.query(
        testServer === "postgres" ? "SELECT current_database() AS name" : "SELECT DATABASE() AS name",
      )) as [{ name: string }];
      await first.destroy();
      expect(database).to.equal(`test_${besideSuite("kept")}`);

      // Committed on a connection of its own, outside the library's session transaction: what an
      // earlier run's schema or a developer's fixture rows would be. Only a drop could remove them.
      const admin = async (sql: string) => {
        if (testServer === "postgres") {
          // pg ships no types (and @types/pg is not installed): described by AdminConnection.
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { Client } = require("pg") as { Client: new (config: object) => AdminConnection };
          const client = new Client({ host: kept.host, user: kept.username, database });
          await client.connect();
          await client.query(sql).finally(() => client.end());
        } else {
          const mysql = await import("mysql2/promise");
          const connection = await mysql.createConnection({ host: kept.host, user: kept.username, database });
          await connection.query(sql).finally(() => connection.end());
        }
      };
      await admin("INSERT INTO item (value) VALUES (42)");
      // The next run must create what its entities need: synchronise, not only keep.
      await admin("DROP TABLE IF EXISTS post, author");
      try {
        // The next run is another process: within one, a test database is prepared only once anyway.
        const { stdout } = await run(process.execPath, ["--require", "ts-node/register/transpile-only", "--eval", NEXT_RUN, testServer!], {
          cwd: root,
        });
        expect(JSON.parse(stdout.trim().split("\n").pop()!)).to.deep.equal({ values: [42], authorTable: true, postTable: true });
      } finally {
        await admin("DELETE FROM item");
      }
    });

    it("should give each mocha --parallel worker a database of its own", async () => {
      const mocha = require.resolve("mocha/bin/mocha.js");
      const fixtures = "test/fixtures/server-runs";
      const { stdout } = await run(
        process.execPath,
        [
          mocha,
          "--no-config",
          "--require",
          "ts-node/register/transpile-only",
          "--require",
          "reflect-metadata",
          "--timeout",
          "30000",
          "--parallel",
          "--jobs",
          "2",
          "--reporter",
          "json",
          `${fixtures}/worker-database.spec.ts`,
          `${fixtures}/worker-database-2.spec.ts`,
        ],
        { cwd: root, env: { ...process.env, TEST_SERVER: testServer } },
      );
      const report = JSON.parse(stdout.slice(stdout.indexOf("{"))) as { stats: { passes: number; failures: number } };
      expect(report.stats).to.include({ passes: 2, failures: 0 });
    });
  });

if (testServer === "postgres") {
  describe("the README's server example", () => {
    it("should run in test_app, not app", async () => {
      const { postgresTestDataSource } = await import("./readme/server-engine");
      await postgresTestDataSource.initialize();
      try {
        const [row] = (await postgresTestDataSource.query("SELECT current_database() AS name")) as { name: string }[];
        expect(row!.name).to.equal("test_app");
      } finally {
        await postgresTestDataSource.destroy();
      }
    });
  });
}
