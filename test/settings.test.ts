import { expect } from "chai";
import { rejectionOf } from "./support/capture-error";
import { createTestDataSource, productionOptions, serverEngine, testServer } from "../ormconfig.test";
import {
  assertQueries,
  InvalidSettingsError,
  SharedReplicationDataSource,
  UnsupportedDatabaseTypeError,
  type SharedReplicationSettings,
} from "../src";
import { Author } from "./fixtures/blog-entities";

function constructionError(options: unknown, settings?: unknown): unknown {
  try {
    new SharedReplicationDataSource(options as never, settings as SharedReplicationSettings);
  } catch (error) {
    return error;
  }
  throw new Error("expected the constructor to throw");
}

describe("settings", () => {
  const invalid: [string, unknown, string][] = [
    ["a negative replica count", { replicas: -1 }, "replicas"],
    ["a fractional replica count", { replicas: 1.5 }, "replicas"],
    ["a replica count that is not a number", { replicas: "2" }, "replicas"],
    ["an unknown engine", { engine: "oracle" }, "engine"],
    ["an unknown setting", { replica: 2 }, "replica"],
    ["a zero wait timeout", { connectionWaitTimeout: 0 }, "connectionWaitTimeout"],
    ["an unknown schema strategy", { schema: "drop" }, "schema"],
    ["settings that are not an object", "fast", "settings"],
  ];

  for (const [what, settings, setting] of invalid) {
    it(`should reject ${what} with InvalidSettingsError naming the setting`, () => {
      const error = constructionError(productionOptions, settings);
      expect(error).to.be.instanceOf(InvalidSettingsError);
      expect((error as InvalidSettingsError).setting).to.equal(setting);
      expect((error as Error).message).to.contain(setting);
    });
  }

  for (const options of [undefined, null, "postgres://prod", [productionOptions]]) {
    it(`should reject application options that are not an object (${JSON.stringify(options)})`, () => {
      const error = constructionError(options);
      expect(error).to.be.instanceOf(InvalidSettingsError);
      expect((error as Error).message).to.contain("DataSourceOptions");
    });
  }

  const unsupportedTypes: [string, unknown, string][] = [
    ["oracle", "oracle", "Only applications on Postgres, MySQL/MariaDB or SQLite"],
    ["mssql", "mssql", "Only applications on Postgres, MySQL/MariaDB or SQLite"],
    ["mongodb", "mongodb", "mongodb-memory-server"],
    ["cockroachdb", "cockroachdb", "test against a CockroachDB server"],
    ["a typo", "postgress", 'Did you mean "postgres"?'],
    ["a missing type", undefined, 'Set "type" in the DataSource options'],
  ];
  for (const [what, type, advice] of unsupportedTypes) {
    it(`should refuse ${what} in the constructor with UnsupportedDatabaseTypeError naming the type and what to do`, () => {
      const error = constructionError({ ...productionOptions, type });
      expect(error).to.be.instanceOf(UnsupportedDatabaseTypeError);
      expect((error as UnsupportedDatabaseTypeError).name).to.equal("UnsupportedDatabaseTypeError");
      expect((error as UnsupportedDatabaseTypeError).type).to.equal(type);
      expect((error as UnsupportedDatabaseTypeError).supportedTypes).to.include.members(["postgres", "mysql", "mariadb", "sqlite"]);
      expect((error as Error).message).to.contain(advice);
      if (type !== undefined) expect((error as Error).message).to.contain(JSON.stringify(type));
    });
  }

  it("should refuse an engine setting together with shareConnectionWith, which runs on the other's engine", () => {
    const primary = createTestDataSource();
    const error = constructionError(productionOptions, { shareConnectionWith: primary, engine: "sqljs" });
    expect(error).to.be.instanceOf(InvalidSettingsError);
    expect((error as InvalidSettingsError).setting).to.equal("engine");
  });

  it("should refuse to share the connection of an application of another family", () => {
    const primary = new SharedReplicationDataSource({ type: "postgres", entities: [] });
    const error = constructionError({ type: "mysql", entities: [] }, { shareConnectionWith: primary });
    expect(error).to.be.instanceOf(InvalidSettingsError);
    expect((error as Error).message).to.contain("mysql application cannot share the connection of a postgres application");
  });

  it("should refuse query assertions and captures that are not given what they need, with InvalidSettingsError", async () => {
    const dataSource = createTestDataSource();
    expect(await rejectionOf(dataSource.queryLog.capture(5 as never))).to.be.instanceOf(InvalidSettingsError);
    for (const expected of [{}, { master: "x" }, { replicas: 1 }, { total: -1 }, null]) {
      expect(await rejectionOf(assertQueries(dataSource, expected as never, () => undefined)), JSON.stringify(expected)).to.be.instanceOf(
        InvalidSettingsError,
      );
    }
  });

  it("should leave nothing behind when the constructor throws, so a corrected call works", async () => {
    const options = { ...productionOptions, name: "retried-after-invalid-settings" };
    const engine = testServer ? { engine: serverEngine(testServer) } : {};
    // TypeORM's DataSource constructor asks the instance for its manager: a DataSource (and its
    // driver) that got built before the settings were refused would show up here.
    const built: SharedReplicationDataSource[] = [];
    class Probe extends SharedReplicationDataSource {
      override createEntityManager(...args: Parameters<SharedReplicationDataSource["createEntityManager"]>) {
        built.push(this);
        return super.createEntityManager(...args);
      }
    }
    const resourcesBefore = process.getActiveResourcesInfo();
    const error = (() => {
      try {
        return new Probe(options, { ...engine, replicas: -1 });
      } catch (failure) {
        return failure;
      }
    })();
    expect(error).to.be.instanceOf(InvalidSettingsError);
    expect(built, "a DataSource was built before the settings were refused").to.be.empty;
    expect(process.getActiveResourcesInfo(), "the failed constructor opened a connection, timer or handle").to.deep.equal(resourcesBefore);

    const dataSource = new Probe(options, { ...engine, replicas: 1 });
    expect(built).to.deep.equal([dataSource]);
    await dataSource.initialize();
    try {
      expect(dataSource.options).to.include({ name: "retried-after-invalid-settings" });
      expect(dataSource.replicaCount).to.equal(1);
      const author = await dataSource.getRepository(Author).save({ name: "Ada" });
      const replica = dataSource.createQueryRunner("slave");
      expect(replica.replicaIndex).to.equal(0);
      expect(await replica.manager.findOneBy(Author, { id: author.id })).to.deep.include({ name: "Ada" });
      await replica.release();
    } finally {
      await dataSource.destroy();
    }
    expect(dataSource.isInitialized).to.equal(false);
  });
});
