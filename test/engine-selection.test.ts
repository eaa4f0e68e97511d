import { expect } from "chai";
import Module from "node:module";
import type { DataSourceOptions } from "typeorm";
import { productionOptions } from "../ormconfig.test";
import { EngineNotInstalledError, EngineNotSupportedError, SharedReplicationDataSource, type EngineName } from "../src";
import { Author } from "./fixtures/blog-entities";
import { DRIVER_TYPES, ENGINE_PACKAGES, PGLITE_PACKAGE, testCombination, type TestCombination } from "./support/test-combination";

const { typeorm, engine } = testCombination;
const IN_MEMORY_ENGINES: TestCombination["engine"][] = ["sqlite3", "better-sqlite3", "sqljs"];
// TypeORM 1.x removed `type: "sqlite"`, the driver of the sqlite3 package.
const unsupported = new Set<TestCombination["engine"]>(typeorm === "1.x" ? ["sqlite3"] : []);
const supported = IN_MEMORY_ENGINES.filter((name) => !unsupported.has(name));

// Built directly, not through createTestDataSource: the server legs' TEST_SERVER must not pick the engine here.
const inMemoryDataSource = (settings: { engine?: EngineName } = {}) => new SharedReplicationDataSource(productionOptions, settings);

function constructionError(settings: { engine?: EngineName } = {}): unknown {
  try {
    inMemoryDataSource(settings);
  } catch (error) {
    return error;
  }
  throw new Error("expected the constructor to throw");
}

/** Runs `fn` while `require` of each package in `packages` fails as if it were not installed. */
function withMissingPackages<T>(packages: readonly string[], fn: () => T): T {
  const moduleWithLoad = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = moduleWithLoad._load;
  moduleWithLoad._load = function (request: string, ...rest: unknown[]) {
    if (packages.includes(request)) throw Object.assign(new Error(`Cannot find module '${request}'`), { code: "MODULE_NOT_FOUND" });
    return load.call(this, request, ...rest);
  };
  try {
    return fn();
  } finally {
    moduleWithLoad._load = load;
  }
}

// The suite runs once per combination (npm run test:matrix); in each, only the combination's
// engine package can be loaded, as in a project that installed only that one.
describe(`engine selection on TypeORM ${typeorm} with only ${ENGINE_PACKAGES[engine]} installed`, () => {
  it(`should default to "${engine}", the first installed engine that TypeORM ${typeorm} supports`, () => {
    // With PGlite installed (the PGlite leg) a Postgres application defaults to it: see test/pglite-engine.test.ts.
    const options = testCombination.postgres ? ({ ...productionOptions, type: "mysql" } as DataSourceOptions) : productionOptions;
    expect(new SharedReplicationDataSource(options).options.type).to.equal(DRIVER_TYPES[engine]);
  });

  it(`should run on "${engine}" when the engine setting asks for it`, async () => {
    const dataSource = inMemoryDataSource({ engine });
    await dataSource.initialize();
    try {
      await dataSource.getRepository(Author).save({ name: "alice" });
      const replica = dataSource.createQueryRunner("slave");
      expect(await replica.manager.count(Author)).to.equal(1);
      await replica.release();
    } finally {
      await dataSource.destroy();
    }
  });

  for (const name of supported) {
    it(`should say how to install "${name}" when the engine setting asks for it and it is missing`, () => {
      const error = withMissingPackages([ENGINE_PACKAGES[name]], () => constructionError({ engine: name }));
      expect(error).to.be.instanceOf(EngineNotInstalledError);
      expect((error as EngineNotInstalledError).installCommand).to.equal(`npm install --save-dev ${ENGINE_PACKAGES[name]}`);
      expect((error as Error).message).to.contain(`npm install --save-dev ${ENGINE_PACKAGES[name]}`);
    });
  }

  for (const name of unsupported) {
    it(`should refuse "${name}" on TypeORM ${typeorm}, naming the engines that work and how to install them`, () => {
      const error = constructionError({ engine: name });
      expect(error).to.be.instanceOf(EngineNotSupportedError);
      expect((error as EngineNotSupportedError).supportedEngines).to.deep.equal(supported);
      for (const other of supported) expect((error as Error).message).to.contain(`npm install --save-dev ${ENGINE_PACKAGES[other]}`);
    });
  }

  it(`should say what to install when no engine that TypeORM ${typeorm} supports is installed`, () => {
    const error = withMissingPackages([...Object.values(ENGINE_PACKAGES), PGLITE_PACKAGE], () => constructionError());
    expect(error).to.be.instanceOf(EngineNotInstalledError);
    // A Postgres application tries PGlite first, and the message says so; the MariaDB leg's application starts with SQLite.
    if (productionOptions.type === "postgres") {
      expect((error as EngineNotInstalledError).engine).to.equal("pglite");
      expect((error as Error).message).to.contain(`npm install --save-dev ${PGLITE_PACKAGE}`);
    } else {
      expect((error as EngineNotInstalledError).engine).to.equal(supported[0]);
      expect((error as Error).message).not.to.contain(PGLITE_PACKAGE);
    }
    for (const name of supported) expect((error as Error).message).to.contain(`npm install --save-dev ${ENGINE_PACKAGES[name]}`);
    for (const name of unsupported) expect((error as Error).message).not.to.contain(`npm install --save-dev ${ENGINE_PACKAGES[name]}`);
  });
});

// Only better-sqlite3's TypeORM runner caches prepared statements, so only its combinations run this.
if (engine === "better-sqlite3") {
  describe("better-sqlite3 prepared statements", () => {
    it("should prepare a statement once per connection, not once per runner", async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Database = require("better-sqlite3") as { prototype: { prepare(sql: string): unknown } };
      const prepare = Database.prototype.prepare;
      const prepared: string[] = [];
      Database.prototype.prepare = function (sql: string) {
        prepared.push(sql);
        return prepare.call(this, sql);
      };
      // Named: in the PGlite leg the Postgres application's default is PGlite.
      const dataSource = inMemoryDataSource({ engine: "better-sqlite3" });
      try {
        await dataSource.initialize();
        for (const mode of ["master", "slave", "slave", "master"] as const) {
          const runner = dataSource.createQueryRunner(mode);
          await runner.query("SELECT COUNT(*) AS n FROM author");
          await runner.release();
        }
        expect(prepared.filter((sql) => sql === "SELECT COUNT(*) AS n FROM author")).to.have.length(1);
      } finally {
        Database.prototype.prepare = prepare;
        await dataSource.destroy();
      }
    });
  });
}
