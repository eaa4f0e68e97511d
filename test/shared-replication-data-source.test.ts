import { expect } from "chai";
import { DataSource, DefaultNamingStrategy, EventSubscriber, QueryFailedError, type Logger } from "typeorm";
import { createTestDataSource, productionOptions, testServer } from "../ormconfig.test";
import { QueryRunnerReleasedError, SharedReplicationDataSource, TestIsolation, type SharedQueryRunner } from "../src";
import { Author, Post } from "./fixtures/blog-entities";
import { rejectionOf } from "./support/capture-error";
import { DRIVER_TYPES, testCombination } from "./support/test-combination";

/** A TypeORM logger that records the statements it is shown in `logged`. */
function queryLogger(logged: string[]): Logger {
  return {
    logQuery: (query) => void logged.push(query),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
}

describe("SharedReplicationDataSource", () => {
  let dataSource: SharedReplicationDataSource;

  beforeEach(async () => {
    dataSource = createTestDataSource();
    await dataSource.initialize();
  });

  afterEach(async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
  });

  describe("construction", () => {
    it("should be a TypeORM DataSource that reports replication", () => {
      expect(dataSource).to.be.instanceOf(DataSource);
      expect(dataSource.driver.isReplicated).to.equal(true);
      expect(dataSource.replicaCount).to.equal(2);
    });

    it("should drop hosts, users and passwords of the production options", () => {
      const serialized = JSON.stringify(dataSource.options, (_key, value: unknown) => (typeof value === "function" ? undefined : value));
      expect(serialized).not.to.match(/db\.internal|secret|replication|"app"/);
      // With PGlite installed (the PGlite leg), a Postgres application runs on it by default.
      expect(dataSource.options.type).to.equal(
        testServer ?? (testCombination.postgres ? "postgres" : DRIVER_TYPES[testCombination.engine]),
      );
    });

    it("should keep entities, naming strategy, entity prefix and logger", async () => {
      class AppNaming extends DefaultNamingStrategy {}
      const logged: string[] = [];
      const logger = queryLogger(logged);
      const custom = createTestDataSource({}, { namingStrategy: new AppNaming(), entityPrefix: "app_", logger, logging: true });
      await custom.initialize();
      try {
        expect(custom.namingStrategy).to.be.instanceOf(AppNaming);
        expect(custom.getMetadata(Author).tableName).to.equal("app_author");
        await custom.getRepository(Author).find();
        expect(logged.some((sql) => /["`]app_author["`]/.test(sql))).to.equal(true);
      } finally {
        await custom.destroy();
      }
    });

    it("should show TypeORM's logger and query subscribers the application's transaction statements, never the library's savepoints", async () => {
      const logged: string[] = [];
      const seen: string[] = [];
      const logger = queryLogger(logged);
      @EventSubscriber()
      class QueryWatcher {
        beforeQuery(event: { query: string }): void {
          seen.push(`before ${event.query}`);
        }
        afterQuery(event: { query: string; success: boolean }): void {
          seen.push(`after ${event.query} ${event.success ? "ok" : "failed"}`);
        }
      }
      const custom = createTestDataSource({}, { logger, logging: true, subscribers: [QueryWatcher] });
      const isolation = new TestIsolation(custom);
      await isolation.beginGroup();
      const testId = await isolation.beginTest();
      try {
        logged.length = 0;
        seen.length = 0;
        // A transaction with a nested one (a savepoint in production), and one rolled back.
        await custom.transaction(async (manager) => {
          await manager.save(Author, { name: "logged" });
          await manager.transaction((nested) => nested.save(Author, { name: "nested" }));
        });
        const runner = custom.createQueryRunner();
        await runner.startTransaction();
        await runner.rollbackTransaction();
        await runner.release();
      } finally {
        await isolation.endTest(testId);
        await isolation.endGroup();
      }
      // What TypeORM's runner for the engine's driver sends: BEGIN TRANSACTION on SQLite, START TRANSACTION on servers.
      const control = logged.filter((sql) => /^(BEGIN|START|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/.test(sql));
      expect(control.map((sql) => sql.replace(/^(BEGIN|START) TRANSACTION$/, "BEGIN"))).to.deep.equal([
        "BEGIN",
        "SAVEPOINT typeorm_1",
        "RELEASE SAVEPOINT typeorm_1",
        "COMMIT",
        "BEGIN",
        "ROLLBACK",
      ]);
      expect(logged.filter((sql) => /typeorm_shared_/.test(sql))).to.deep.equal([]);
      expect(seen).to.include.members(["before COMMIT", "after COMMIT ok", "before ROLLBACK", "after ROLLBACK ok"]);
      expect(seen.filter((entry) => /typeorm_shared_/.test(entry))).to.deep.equal([]);
    });

    it("should simulate no replica and not be replicated when the application has no replication", async () => {
      const plain = new SharedReplicationDataSource({ type: "postgres", host: "db", password: "x", entities: productionOptions.entities });
      expect(plain.replicaCount).to.equal(0);
      expect(plain.driver.isReplicated).to.equal(false);
    });

    it("should let the replicas setting override the application's replica count", () => {
      expect(createTestDataSource({ replicas: 5 }).replicaCount).to.equal(5);
    });
  });

  describe("query runners", () => {
    it("should return a distinct runner with its own state for every call", async () => {
      const first = dataSource.createQueryRunner("master");
      const second = dataSource.createQueryRunner("master");
      expect(first).not.to.equal(second);
      expect(first.manager).not.to.equal(second.manager);
      first.data.marker = 1;
      expect(second.data.marker).to.equal(undefined);
      await first.startTransaction();
      expect(first.isTransactionActive).to.equal(true);
      expect(second.isTransactionActive).to.equal(false);
      await first.rollbackTransaction();
      await first.release();
      expect(first.isReleased).to.equal(true);
      expect(second.isReleased).to.equal(false);
    });

    it("should report the replication mode it was created with, master by default", () => {
      expect(dataSource.createQueryRunner().getReplicationMode()).to.equal("master");
      expect(dataSource.createQueryRunner("master").getReplicationMode()).to.equal("master");
      expect(dataSource.createQueryRunner("slave").getReplicationMode()).to.equal("slave");
    });

    it("should assign replicas round-robin and expose the index", () => {
      const indexes = [1, 2, 3, 4, 5].map(() => dataSource.createQueryRunner("slave").replicaIndex);
      expect(indexes).to.deep.equal([0, 1, 0, 1, 0]);
      expect(dataSource.createQueryRunner("master").replicaIndex).to.equal(undefined);
    });

    it("should let a replica read see a write inside a still-open master transaction", async () => {
      const master = dataSource.createQueryRunner("master");
      const replica = dataSource.createQueryRunner("slave");
      await master.startTransaction();
      await master.manager.save(Author, { name: "alice" });
      const seen = await replica.manager.find(Author);
      expect(seen.map((author) => author.name)).to.deep.equal(["alice"]);
      await master.rollbackTransaction();
      expect(await replica.manager.count(Author)).to.equal(0);
    });

    it("should release only that runner and keep the connection open until destroy", async () => {
      const released = dataSource.createQueryRunner("slave");
      const other = dataSource.createQueryRunner("slave");
      await released.release();
      expect(await other.query("SELECT 1 AS one")).to.deep.equal([{ one: 1 }]);
      await dataSource.destroy();
      expect(dataSource.isInitialized).to.equal(false);
    });

    it("should report a statement the engine cannot prepare or run as TypeORM's QueryFailedError", async () => {
      for (const sql of [`SELECT * FROM "no_such_table"`, `SELEC 1`, `SELECT no_such_column FROM "author"`]) {
        const error = await rejectionOf(dataSource.query(sql));
        expect(error, sql).to.be.instanceOf(QueryFailedError);
        expect((error as QueryFailedError).query, sql).to.equal(sql);
      }
    });

    it("should reject every use of a runner after release with QueryRunnerReleasedError", async () => {
      const runner = dataSource.createQueryRunner("master");
      await runner.release();
      for (const call of [() => runner.query("SELECT 1"), () => runner.startTransaction(), () => runner.connect()]) {
        const error = await call().then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect(error).to.be.instanceOf(QueryRunnerReleasedError);
        expect((error as QueryRunnerReleasedError).runnerId).to.equal((runner as SharedQueryRunner).runnerId);
      }
    });
  });

  describe("routing", () => {
    async function rolesOf(fn: () => Promise<unknown>): Promise<string[]> {
      const { queries } = await dataSource.queryLog.capture(fn);
      return [...new Set(queries.filter((q) => q.kind === "data").map((q) => q.role))];
    }

    it("should send find, count, exists, query builder reads and relation loading to replicas", async () => {
      const author = await dataSource.getRepository(Author).save({ name: "alice" });
      await dataSource.getRepository(Post).save({ title: "hello", author });
      const authors = dataSource.getRepository(Author);
      expect(await rolesOf(() => authors.find())).to.deep.equal(["slave"]);
      expect(await rolesOf(() => authors.count())).to.deep.equal(["slave"]);
      expect(await rolesOf(() => authors.exists({ where: { name: "alice" } }))).to.deep.equal(["slave"]);
      expect(await rolesOf(() => authors.createQueryBuilder("a").where("a.name = :n", { n: "alice" }).getMany())).to.deep.equal(["slave"]);
      expect(await rolesOf(() => authors.find({ relations: { posts: true } }))).to.deep.equal(["slave"]);
    });

    it("should send save, update, delete, query and transaction to the master", async () => {
      const authors = dataSource.getRepository(Author);
      expect(await rolesOf(() => authors.save({ name: "bob" }))).to.deep.equal(["master"]);
      expect(await rolesOf(() => authors.update({ name: "bob" }, { name: "bobby" }))).to.deep.equal(["master"]);
      expect(await rolesOf(() => authors.delete({ name: "bobby" }))).to.deep.equal(["master"]);
      expect(await rolesOf(() => dataSource.query("SELECT 1"))).to.deep.equal(["master"]);
      expect(await rolesOf(() => dataSource.transaction((manager) => manager.save(Author, { name: "carol" })))).to.deep.equal(["master"]);
    });

    it("should read from the master when the application's replication.defaultMode is master", async () => {
      const replication = { ...(productionOptions as { replication: object }).replication, defaultMode: "master" };
      const primaryReads = createTestDataSource({}, { replication } as never);
      await primaryReads.initialize();
      try {
        const { queries } = await primaryReads.queryLog.capture(() => primaryReads.getRepository(Author).find());
        expect(queries.map((q) => q.role)).to.deep.equal(["master"]);
      } finally {
        await primaryReads.destroy();
      }
    });
  });
});
