import { expect } from "chai";
import {
  LockNotSupportedOnGivenDriverError,
  PessimisticLockTransactionRequiredError,
  type DataSourceOptions,
  type FindOneOptions,
  type SelectQueryBuilder,
} from "typeorm";
import { ReplicaWriteError, SharedReplicationDataSource, type IsolationLevel } from "../src";
import { MyCart, mysqlAppOptions } from "./fixtures/mysql-app-entities";
import { PgNote, postgresAppOptions } from "./fixtures/postgres-app-entities";
import { rejectionOf } from "./support/capture-error";
import { PGLITE_START_TIMEOUT, POSTGRES_ENGINES } from "./support/fidelity-engines";
import { testCombination } from "./support/test-combination";

type LockMode =
  | "pessimistic_read"
  | "pessimistic_write"
  | "pessimistic_partial_write"
  | "pessimistic_write_or_fail"
  | "for_no_key_update"
  | "for_key_share";

/** TypeORM 1.x removed these two modes in favour of `setOnLocked("skip_locked" | "nowait")`. */
const REMOVED_IN_1X: readonly LockMode[] = ["pessimistic_partial_write", "pessimistic_write_or_fail"];
const lineHasMode = (mode: LockMode) => testCombination.typeorm === "0.3" || !REMOVED_IN_1X.includes(mode);

/** Find options' `lock` for `mode`; typed loosely because the running line's type may lack the mode. */
const lockOption = (mode: LockMode) => ({ mode }) as FindOneOptions["lock"];

/** The clause Postgres' TypeORM driver appends for each pessimistic lock mode. */
const POSTGRES_LOCKS: [LockMode, string][] = [
  ["pessimistic_read", "FOR SHARE"],
  ["pessimistic_write", "FOR UPDATE"],
  ["pessimistic_partial_write", "FOR UPDATE SKIP LOCKED"],
  ["pessimistic_write_or_fail", "FOR UPDATE NOWAIT"],
  ["for_no_key_update", "FOR NO KEY UPDATE"],
  ["for_key_share", "FOR KEY SHARE"],
];

const ISOLATION_LEVELS: IsolationLevel[] = ["READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"];

describe("production fidelity: locks and isolation levels", () => {
  // On SQLite the cases test the emulation; on PGlite (the PGlite leg) they state what Postgres does.
  for (const engine of POSTGRES_ENGINES) {
    describe(`Postgres, on ${engine}`, () => {
      let dataSource: SharedReplicationDataSource;
      let noteId: number;

      before(async function () {
        this.timeout(PGLITE_START_TIMEOUT);
        dataSource = new SharedReplicationDataSource(postgresAppOptions, { engine });
        await dataSource.initialize();
      });

      after(() => dataSource.destroy());

      beforeEach(async () => {
        noteId = (await dataSource.getRepository(PgNote).save({ code: "a", amount: "1" })).id;
      });

      afterEach(() => dataSource.query(`DELETE FROM "pg_note"`));

      // Registered for the modes the running TypeORM line has; the two 1.x removed are covered below.
      for (const [mode, clause] of POSTGRES_LOCKS.filter(([mode]) => lineHasMode(mode))) {
        it(`should run find with lock ${mode} on the master as Postgres' ${clause}`, async () => {
          const { result, queries } = await dataSource.queryLog.capture(() =>
            dataSource.transaction((manager) => manager.findOne(PgNote, { where: { id: noteId }, lock: lockOption(mode) })),
          );
          expect(result?.id).to.equal(noteId);
          const select = queries.find((query) => query.sql.startsWith("SELECT"));
          expect(select?.role).to.equal("master");
          expect(select?.sql).to.contain(` ${clause}`);
        });
      }

      // Only TypeORM 1.x lacks these modes; on 0.3 they are registered above with their clauses.
      if (testCombination.typeorm === "1.x") {
        it("should render the lock modes TypeORM 1.x removed as 1.x's own query builder does: without a locking clause", async () => {
          await dataSource.transaction(async (manager) => {
            for (const mode of REMOVED_IN_1X) {
              const query = manager.createQueryBuilder(PgNote, "note").where("note.id = :id", { id: noteId });
              (query as SelectQueryBuilder<PgNote> & { setLock(mode: LockMode): unknown }).setLock(mode);
              expect(query.getQuery(), mode).not.to.match(/ FOR | NOWAIT| SKIP LOCKED/);
              expect(await query.getOne(), mode).to.include({ id: noteId });
            }
          });
        });
      }

      it("should accept setLock() with onLocked and lock tables in query builders", async () => {
        await dataSource.transaction(async (manager) => {
          const read = await manager
            .createQueryBuilder(PgNote, "note")
            .setLock("pessimistic_read")
            .setOnLocked("nowait")
            .where("note.id = :id", { id: noteId })
            .getOne();
          expect(read?.code).to.equal("a");
          const query = manager
            .createQueryBuilder(PgNote, "note")
            .setLock("pessimistic_write", undefined, ["note"])
            .setOnLocked("skip_locked");
          expect(query.getQuery()).to.contain("FOR UPDATE OF note SKIP LOCKED");
          expect(await query.getMany()).to.have.length(1);
          const subQuery = manager
            .createQueryBuilder(PgNote, "note")
            .where((qb) => `note.id IN ${qb.subQuery().select("inner.id").from(PgNote, "inner").setLock("pessimistic_write").getQuery()}`);
          expect(await subQuery.getCount()).to.equal(1);
        });
      });

      it("should accept a raw SELECT … FOR UPDATE through the master", async () => {
        const rows = await dataSource.transaction((manager) =>
          manager.query(`SELECT * FROM "pg_note" WHERE "id" = $1 FOR UPDATE`, [noteId]),
        );
        expect(rows).to.have.length(1);
      });

      it("should still reject locking reads through a replica runner with ReplicaWriteError", async () => {
        const replica = dataSource.createQueryRunner("slave");
        await replica.startTransaction();
        try {
          const error = await rejectionOf(replica.manager.findOne(PgNote, { where: { id: noteId }, lock: { mode: "pessimistic_write" } }));
          expect(error).to.be.instanceOf(ReplicaWriteError);
          expect((error as ReplicaWriteError).sql).to.contain("FOR UPDATE");
          const raw = await rejectionOf(replica.query(`SELECT * FROM "pg_note" FOR SHARE`));
          expect(raw).to.be.instanceOf(ReplicaWriteError);
        } finally {
          await replica.rollbackTransaction();
          await replica.release();
        }
      });

      it("should require a transaction for pessimistic locks, as TypeORM does in production", async () => {
        const error = await rejectionOf(dataSource.manager.findOne(PgNote, { where: { id: noteId }, lock: { mode: "pessimistic_write" } }));
        expect(error).to.be.instanceOf(PessimisticLockTransactionRequiredError);
      });

      for (const level of ISOLATION_LEVELS) {
        it(`should run dataSource.transaction("${level}", …) and commit`, async () => {
          await dataSource.transaction(level, (manager) => manager.update(PgNote, { id: noteId }, { code: "b" }));
          expect((await dataSource.getRepository(PgNote).findOneByOrFail({ id: noteId })).code).to.equal("b");
        });
      }

      it('should run startTransaction("REPEATABLE READ") on a runner and roll back', async () => {
        const runner = dataSource.createQueryRunner();
        await runner.startTransaction("REPEATABLE READ");
        await runner.manager.update(PgNote, { id: noteId }, { code: "c" });
        expect((await runner.manager.findOneByOrFail(PgNote, { id: noteId })).code).to.equal("c");
        await runner.rollbackTransaction();
        await runner.release();
        expect((await dataSource.getRepository(PgNote).findOneByOrFail({ id: noteId })).code).to.equal("a");
      });
    });
  }

  describe("MySQL and MariaDB", () => {
    const lockSql = async (options: DataSourceOptions, mode: LockMode) => {
      const dataSource = new SharedReplicationDataSource(options);
      await dataSource.initialize();
      try {
        await dataSource.getRepository(MyCart).save({});
        const { queries } = await dataSource.queryLog.capture(() =>
          dataSource.transaction((manager) => manager.find(MyCart, { lock: lockOption(mode) })),
        );
        return queries.find((query) => query.sql.startsWith("SELECT"))!.sql;
      } finally {
        await dataSource.destroy();
      }
    };

    it("should lock as MySQL 8 does: FOR SHARE and FOR UPDATE", async () => {
      expect(await lockSql(mysqlAppOptions, "pessimistic_read")).to.contain(" FOR SHARE");
      expect(await lockSql(mysqlAppOptions, "pessimistic_write")).to.contain(" FOR UPDATE");
    });

    it("should lock as MariaDB does: LOCK IN SHARE MODE", async () => {
      expect(await lockSql({ ...mysqlAppOptions, type: "mariadb" } as DataSourceOptions, "pessimistic_read")).to.contain(
        " LOCK IN SHARE MODE",
      );
    });

    it("should reject Postgres-only lock modes with the error production's TypeORM throws", async () => {
      const error = await rejectionOf(lockSql(mysqlAppOptions, "for_no_key_update"));
      expect(error).to.be.instanceOf(LockNotSupportedOnGivenDriverError);
    });
  });
});
