import { expect } from "chai";
import type { EntityManager, QueryRunner } from "typeorm";
import { createTestDataSource, serverEngine } from "../ormconfig.test";
import {
  InvalidReplicaIndexError,
  InvalidSettingsError,
  ReplicaLagError,
  ReplicaLagUnavailableError,
  TestIsolation,
  TruncatingTestLifecycle,
  type SharedReplicationDataSource,
  type SharedReplicationSettings,
} from "../src";
import { rejectionOf } from "./support/capture-error";
import { PGLITE_START_TIMEOUT } from "./support/fidelity-engines";
import { LAG_ENGINES, rowsOnReplica, withReplicaRunner } from "./support/lag-engines";
import { Author, Post } from "./fixtures/blog-entities";

/** Author names a read through replica `index` returns (a runner of its own, as TypeORM's reads use). */
function namesOnReplica(dataSource: SharedReplicationDataSource, index: number): Promise<string[]> {
  return withReplicaRunner(dataSource, index, async (runner) =>
    (await runner.manager.getRepository(Author).find({ order: { name: "ASC" } })).map((author) => author.name),
  );
}

async function namesOnMaster(dataSource: SharedReplicationDataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner("master");
  try {
    return (await runner.manager.getRepository(Author).find({ order: { name: "ASC" } })).map((author) => author.name);
  } finally {
    await runner.release();
  }
}

function lastReplicaRead(dataSource: SharedReplicationDataSource) {
  return dataSource.queryLog
    .entries()
    .reverse()
    .find((entry) => entry.role === "slave" && !entry.internal);
}

for (const { name, engine } of LAG_ENGINES)
  describe(`${name}: replica lag`, function () {
    this.timeout(PGLITE_START_TIMEOUT);

    function lagDataSource(settings: SharedReplicationSettings = {}): SharedReplicationDataSource {
      return createTestDataSource({ engine, replicaLag: "manual", ...settings });
    }

    describe("in manual mode, inside a transactional test group", () => {
      let dataSource: SharedReplicationDataSource;
      let isolation: TestIsolation;

      before(async () => {
        dataSource = lagDataSource();
        isolation = new TestIsolation(dataSource, {
          setUpTestData: (manager) =>
            manager
              .getRepository(Author)
              .save({ name: "fixture" })
              .then(() => undefined),
        });
        await isolation.beginGroup();
      });
      beforeEach(() => isolation.beginTest());
      afterEach(() => isolation.endTest());
      after(() => isolation.endGroup());

      it("should start each test with replicas in sync with the group's fixtures", async () => {
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture"]);
        expect(await namesOnReplica(dataSource, 1)).to.deep.equal(["fixture"]);
      });

      it("should show a replica a write only once syncReplicas() carries it over", async () => {
        await dataSource.getRepository(Author).save({ name: "written" });
        expect(await namesOnMaster(dataSource)).to.deep.equal(["fixture", "written"]);
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture"]);
        expect(lastReplicaRead(dataSource)?.commitsBehind).to.equal(1);
        await dataSource.syncReplicas();
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture", "written"]);
        expect(lastReplicaRead(dataSource)?.commitsBehind).to.equal(0);
      });

      it("should find the replicas back at the group's state in the next test", async () => {
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture"]);
        expect(await namesOnMaster(dataSource)).to.deep.equal(["fixture"]);
      });

      it("should sync only the replica syncReplicas(index) names", async () => {
        await dataSource.getRepository(Author).save({ name: "to replica 1" });
        await dataSource.syncReplicas(1);
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture"]);
        expect(await namesOnReplica(dataSource, 1)).to.deep.equal(["fixture", "to replica 1"]);
      });

      it("should never show a replica work of a transaction that is still open", async () => {
        const runner = dataSource.createQueryRunner("master");
        try {
          await runner.startTransaction();
          await runner.manager.getRepository(Author).save({ name: "uncommitted" });
          await dataSource.syncReplicas();
          expect(await runner.manager.getRepository(Author).count()).to.equal(2);
          await runner.commitTransaction();
        } finally {
          await runner.release();
        }
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture"]);
        await dataSource.syncReplicas();
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture", "uncommitted"]);
      });

      it("should count a nested transaction's commit only when the outermost commits", async () => {
        await dataSource.transaction(async (outer: EntityManager) => {
          await outer.transaction(async (inner) => {
            await inner.getRepository(Author).save({ name: "inner" });
          });
          await dataSource.syncReplicas();
          expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture"]);
        });
        await dataSource.syncReplicas();
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture", "inner"]);
      });

      it("should never show rolled-back work", async () => {
        await rejectionOf(
          dataSource.transaction(async (manager) => {
            await manager.getRepository(Author).save({ name: "rolled back" });
            throw new Error("abort");
          }),
        );
        const runner: QueryRunner = dataSource.createQueryRunner("master");
        try {
          await runner.startTransaction();
          await runner.manager.getRepository(Author).save({ name: "also rolled back" });
          await runner.rollbackTransaction();
        } finally {
          await runner.release();
        }
        await dataSource.syncReplicas();
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture"]);
        expect(lastReplicaRead(dataSource)?.commitsBehind).to.equal(0);
      });

      it("should keep a sync made inside a transaction that then rolls back: a replica never goes back", async () => {
        await dataSource.getRepository(Author).save({ name: "committed before" });
        const runner = dataSource.createQueryRunner("master");
        try {
          await runner.startTransaction();
          await runner.manager.getRepository(Author).save({ name: "rolled back" });
          await runner.startTransaction();
          await dataSource.syncReplicas();
          await runner.rollbackTransaction();
          expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["committed before", "fixture"]);
          await runner.rollbackTransaction();
        } finally {
          await runner.release();
        }
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["committed before", "fixture"]);
        expect(await namesOnReplica(dataSource, 1)).to.deep.equal(["committed before", "fixture"]);
        expect(lastReplicaRead(dataSource)?.commitsBehind).to.equal(0);
      });

      it("should keep a sync made after the application's own SAVEPOINT when it rolls back to it", async () => {
        await dataSource.getRepository(Author).save({ name: "committed before" });
        const runner = dataSource.createQueryRunner("master");
        try {
          await runner.query("BEGIN");
          await runner.query("SAVEPOINT app_savepoint");
          await dataSource.syncReplicas();
          await runner.query("ROLLBACK TO SAVEPOINT app_savepoint");
          expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["committed before", "fixture"]);
          await runner.query("SAVEPOINT app_savepoint");
          await dataSource.syncReplicas();
          await runner.query("RELEASE SAVEPOINT app_savepoint");
          await runner.query("COMMIT");
        } finally {
          await runner.release();
        }
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["committed before", "fixture"]);
        expect(await namesOnReplica(dataSource, 1)).to.deep.equal(["committed before", "fixture"]);
      });

      it("should copy rows, so generated values are the master's", async () => {
        const author = await dataSource.getRepository(Author).save({ name: "poster" });
        const post = await dataSource.getRepository(Post).save({ title: "hello", author });
        await dataSource.syncReplicas();
        const runner = dataSource.createQueryRunner("slave");
        try {
          const copy = await runner.manager.getRepository(Post).findOne({ where: { id: post.id }, relations: { author: true } });
          expect(copy?.createdAt.toISOString()).to.equal(post.createdAt.toISOString());
          expect(copy?.author.id).to.equal(author.id);
        } finally {
          await runner.release();
        }
      });

      it("should keep commit order: a replica carries updates and deletes over as the master made them", async () => {
        const repository = dataSource.getRepository(Author);
        const author = await repository.save({ name: "first name" });
        await repository.update(author.id, { name: "second name" });
        await dataSource.syncReplicas(0);
        await repository.delete({ name: "fixture" });
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture", "second name"]);
        expect(lastReplicaRead(dataSource)?.commitsBehind).to.equal(1);
        await dataSource.syncReplicas(0);
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["second name"]);
      });

      it("should route raw reads (joins, subqueries, common table expressions) to the replica's copy", async () => {
        await dataSource.getRepository(Author).save({ name: "not on the replica" });
        const runner = dataSource.createQueryRunner("slave");
        try {
          const rows = await runner.query(
            `WITH named AS (SELECT name FROM author) SELECT a.name FROM author a JOIN (SELECT id FROM author) b ON a.id = b.id ` +
              `WHERE a.name IN (SELECT name FROM named) ORDER BY a.name`,
          );
          expect(rows.map((row: { name: string }) => row.name)).to.deep.equal(["fixture"]);
          const nested = await runner.query(`SELECT a.name FROM (author a LEFT JOIN post p ON p."authorId" = a.id) ORDER BY a.name`);
          expect(nested.map((row: { name: string }) => row.name)).to.deep.equal(["fixture"]);
        } finally {
          await runner.release();
        }
      });

      it("should undo setReplicaLag() when the test ends", async () => {
        await dataSource.setReplicaLag("none");
        await dataSource.getRepository(Author).save({ name: "seen at once" });
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture", "seen at once"]);
        expect(dataSource.replicaLag).to.equal("none");
      });

      it("should be back in manual mode after a test that switched lag off", async () => {
        expect(dataSource.replicaLag).to.equal("manual");
        await dataSource.getRepository(Author).save({ name: "lagging again" });
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture"]);
      });

      it("should let upserts and conflict clauses run as they do without lag, and carry their result over", async () => {
        const repository = dataSource.getRepository(Author);
        await repository.save({ name: "ada" });
        await repository.upsert({ name: "ada" }, ["name"]);
        await dataSource.query(`INSERT INTO "author" ("name") VALUES ('grace') ON CONFLICT ("name") DO NOTHING`);
        await dataSource.query(`INSERT INTO "author" ("name") VALUES ('grace') ON CONFLICT ("name") DO NOTHING`);
        expect(await namesOnMaster(dataSource)).to.deep.equal(["ada", "fixture", "grace"]);
        await dataSource.syncReplicas();
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["ada", "fixture", "grace"]);
      });

      it("should carry a write made right after an ALTER TABLE over once, with the table copied whole", async () => {
        await dataSource.query(`CREATE TABLE "gadget" ("id" integer PRIMARY KEY, "label" varchar)`);
        await dataSource.syncReplicas();
        await dataSource.query(`ALTER TABLE "gadget" ADD COLUMN "extra" integer`);
        await dataSource.query(`INSERT INTO "gadget" ("id", "label", "extra") VALUES (1, 'after the alter', 1)`);
        await dataSource.syncReplicas();
        await dataSource.query(`UPDATE "gadget" SET "extra" = 2`);
        await dataSource.syncReplicas();
        const read = `SELECT "id", "label", "extra" FROM "gadget"`;
        const expected = [{ id: 1, label: "after the alter", extra: 2 }];
        expect(await dataSource.query(read)).to.deep.equal(expected);
        expect(await rowsOnReplica(dataSource, 0, read), "replica 0").to.deep.equal(expected);
        expect(await rowsOnReplica(dataSource, 1, read), "replica 1").to.deep.equal(expected);
      });

      it("should let a migration add and drop columns mid-test, capturing the table's new shape", async () => {
        await dataSource.query(`ALTER TABLE "post" ADD COLUMN "draft" integer`);
        await dataSource.query(`ALTER TABLE "post" DROP COLUMN "draft"`);
        await dataSource.query(`ALTER TABLE "author" ADD COLUMN "extra" integer`);
        await dataSource.syncReplicas();
        await dataSource.query(`INSERT INTO "author" ("name", "extra") VALUES ('after', 7)`);
        const runner = dataSource.createQueryRunner("slave");
        try {
          const read = () => runner.query(`SELECT "name", "extra" FROM "author" ORDER BY "name"`);
          expect(await read()).to.deep.equal([{ name: "fixture", extra: null }]);
          await dataSource.syncReplicas();
          expect(await read()).to.deep.equal([
            { name: "after", extra: 7 },
            { name: "fixture", extra: null },
          ]);
        } finally {
          await runner.release();
        }
      });

      it("should refuse a replica read of a table created since the replica's last sync, and serve it after", async () => {
        await dataSource.query(`CREATE TABLE "audit" ("id" integer PRIMARY KEY, "what" varchar)`);
        await dataSource.query(`INSERT INTO "audit" ("id", "what") VALUES (1, 'created')`);
        const runner = dataSource.createQueryRunner("slave");
        try {
          const error = await rejectionOf(runner.query(`SELECT "what" FROM "audit"`));
          expect(error).to.be.instanceOf(ReplicaLagError).and.to.include({ failure: "unreplicated-read" });
          await dataSource.syncReplicas();
          expect(await runner.query(`SELECT "what" FROM "audit"`)).to.deep.equal([{ what: "created" }]);
        } finally {
          await runner.release();
        }
      });
    });

    describe("with a sync interval", () => {
      let dataSource: SharedReplicationDataSource;
      let isolation: TestIsolation;
      let now: number;
      const realNow = Date.now;

      before(async () => {
        dataSource = lagDataSource({ replicaLag: { syncIntervalMs: [100, 1000] } });
        isolation = new TestIsolation(dataSource);
        await isolation.beginGroup();
      });
      beforeEach(async () => {
        now = 1_000_000;
        Date.now = () => now;
        await isolation.beginTest();
      });
      afterEach(async () => {
        await isolation.endTest();
        Date.now = realNow;
      });
      after(() => isolation.endGroup());

      it("should let each replica catch up on its own interval, commits in order", async () => {
        await dataSource.getRepository(Author).save({ name: "a" });
        now += 50;
        await dataSource.getRepository(Author).save({ name: "b" });
        now += 30;
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal([]);
        now += 20; // 100 ms: replica 0's first sync
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["a", "b"]);
        await dataSource.getRepository(Author).save({ name: "c" });
        now += 99;
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["a", "b"]);
        expect(lastReplicaRead(dataSource)?.commitsBehind).to.equal(1);
        now += 1;
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["a", "b", "c"]);
        expect(await namesOnReplica(dataSource, 1)).to.deep.equal([]);
        now += 800; // 1,000 ms
        expect(await namesOnReplica(dataSource, 1)).to.deep.equal(["a", "b", "c"]);
      });

      it("should not let a schema change carry other tables past the replica's last tick", async () => {
        await dataSource.getRepository(Author).save({ name: "before the tick" });
        now += 110; // replica 0 ticked at 100 ms
        await dataSource.query(`CREATE TABLE "unrelated" ("id" integer PRIMARY KEY)`);
        await dataSource.getRepository(Author).save({ name: "after the tick" });
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["before the tick"]);
      });

      it("should count intervals from a clock set back, as fake timers installed mid-test do", async () => {
        now = 0;
        await dataSource.getRepository(Author).save({ name: "at zero" });
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal([]);
        now += 100;
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["at zero"]);
      });

      it("should still sync at once on syncReplicas()", async () => {
        await dataSource.getRepository(Author).save({ name: "now" });
        await dataSource.syncReplicas();
        expect(await namesOnReplica(dataSource, 1)).to.deep.equal(["now"]);
      });
    });

    describe("with a truncating lifecycle, which commits", () => {
      let dataSource: SharedReplicationDataSource;
      let lifecycle: TruncatingTestLifecycle;

      before(async () => {
        dataSource = lagDataSource();
        lifecycle = new TruncatingTestLifecycle(dataSource, {
          setUpTestData: (manager) =>
            manager
              .getRepository(Author)
              .save({ name: "fixture" })
              .then(() => undefined),
        });
        await lifecycle.beginGroup();
      });
      beforeEach(() => lifecycle.beginTest());
      afterEach(() => lifecycle.endTest());
      after(() => lifecycle.endGroup());

      it("should lag behind the reloaded fixtures' later writes until synced", async () => {
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture"]);
        await dataSource.getRepository(Author).save({ name: "committed" });
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture"]);
        await dataSource.syncReplicas();
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["committed", "fixture"]);
      });

      it("should start the next test with replicas in sync with the truncated and reloaded master", async () => {
        expect(await namesOnMaster(dataSource)).to.deep.equal(["fixture"]);
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["fixture"]);
        expect(await namesOnReplica(dataSource, 1)).to.deep.equal(["fixture"]);
      });
    });

    describe("with a truncating lifecycle and no fixtures", () => {
      let dataSource: SharedReplicationDataSource;
      let lifecycle: TruncatingTestLifecycle;

      before(async () => {
        dataSource = lagDataSource();
        lifecycle = new TruncatingTestLifecycle(dataSource);
        await lifecycle.beginGroup();
      });
      beforeEach(() => lifecycle.beginTest());
      afterEach(() => lifecycle.endTest());
      after(() => lifecycle.endGroup());

      it("should carry a write over on sync", async () => {
        await dataSource.getRepository(Author).save({ name: "from the first test" });
        await dataSource.syncReplicas();
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["from the first test"]);
      });

      it("should start the next test with the truncation carried over too", async () => {
        expect(await namesOnReplica(dataSource, 0)).to.deep.equal([]);
        expect(await namesOnReplica(dataSource, 1)).to.deep.equal([]);
      });
    });

    describe("with two DataSources sharing the connection", () => {
      it("should give the lagging replicas the other DataSource's commits", async () => {
        const lagging = lagDataSource();
        await lagging.initialize();
        const other = createTestDataSource({ shareConnectionWith: lagging });
        await other.initialize();
        try {
          await other.getRepository(Author).save({ name: "written by the other" });
          expect(await namesOnReplica(lagging, 0)).to.deep.equal([]);
          await lagging.syncReplicas();
          expect(await namesOnReplica(lagging, 0)).to.deep.equal(["written by the other"]);
        } finally {
          await other.destroy();
          await lagging.destroy();
        }
      });
    });

    describe("across destroy() and initialize()", () => {
      it("should build the replicas' copies again on the new connection", async () => {
        const dataSource = lagDataSource();
        await dataSource.initialize();
        await dataSource.getRepository(Author).save({ name: "first connection" });
        await dataSource.destroy();
        await dataSource.initialize();
        try {
          await dataSource.getRepository(Author).save({ name: "second connection" });
          expect(await namesOnReplica(dataSource, 0)).to.deep.equal([]);
          await dataSource.syncReplicas(0);
          expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["second connection"]);
        } finally {
          await dataSource.destroy();
        }
      });
    });

    describe("bad input", () => {
      it("should refuse an unknown replicaLag, a bad interval, or lag without replicas, creating nothing", () => {
        for (const replicaLag of [
          "sometimes",
          { syncIntervalMs: -1 },
          { syncIntervalMs: 1.5 },
          { syncIntervalMs: [10] },
          { every: 10 },
          null,
        ]) {
          expect(() => lagDataSource({ replicaLag: replicaLag as never }), JSON.stringify(replicaLag)).to.throw(InvalidSettingsError);
        }
        expect(() => lagDataSource({ replicas: 0 })).to.throw(InvalidSettingsError, /no replicas to lag/);
      });

      it("should refuse lag on a MySQL or MariaDB server, saying why", () => {
        const error = (() => {
          try {
            createTestDataSource({ engine: serverEngine("mariadb"), replicaLag: "manual" }, { type: "mariadb" });
          } catch (thrown) {
            return thrown;
          }
          return undefined;
        })();
        expect(error).to.be.instanceOf(ReplicaLagUnavailableError).and.to.include({ engine: "mariadb" });
      });

      describe("on an initialized DataSource", () => {
        let dataSource: SharedReplicationDataSource;
        beforeEach(async () => {
          dataSource = lagDataSource({ replicaLag: "none" });
          await dataSource.initialize();
        });
        afterEach(() => dataSource.destroy());

        it("should refuse syncReplicas() of a replica the DataSource does not have", async () => {
          const error = await rejectionOf(dataSource.syncReplicas(7));
          expect(error).to.be.instanceOf(InvalidReplicaIndexError).and.to.include({ index: 7, count: 2, source: "syncReplicas" });
        });

        it("should refuse setReplicaLag() outside a test or group, and leave the lag as it was", async () => {
          const error = await rejectionOf(dataSource.setReplicaLag("manual"));
          expect(error).to.be.instanceOf(ReplicaLagError).and.to.include({ failure: "outside-scope" });
          expect(dataSource.replicaLag).to.equal("none");
          await dataSource.getRepository(Author).save({ name: "seen" });
          expect(await namesOnReplica(dataSource, 0)).to.deep.equal(["seen"]);
        });

        it("should refuse a bad setReplicaLag() value", async () => {
          expect(await rejectionOf(dataSource.setReplicaLag({ syncIntervalMs: 0 }))).to.be.instanceOf(InvalidSettingsError);
        });
      });
    });
  });
