import { expect } from "chai";
import { Column, Entity, Generated, PrimaryGeneratedColumn, type DataSourceOptions } from "typeorm";
import { SharedReplicationDataSource, UnsupportedColumnDefaultError } from "../src";
import { MyCart, MyOrder, Size, mysqlAppOptions } from "./fixtures/mysql-app-entities";
import { PgDocument, Role, postgresAppOptions } from "./fixtures/postgres-app-entities";
import { rejectionOf, sleep } from "./support/capture-error";
import { expectPostgresError, PGLITE_START_TIMEOUT, POSTGRES_ENGINES, SQLSTATE } from "./support/fidelity-engines";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

@Entity("pg_ticket")
class PgTicket {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column("int", { default: () => "nextval('ticket_number_seq')" })
  number!: number;
}

@Entity("numbered_ticket")
class NumberedTicket {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column("int", { unique: true })
  @Generated("increment")
  number!: number;
}

/** Asserts `date` lies within [from, to], both widened to whole milliseconds. */
function expectBetween(date: Date, from: number, to: number): void {
  expect(date).to.be.instanceOf(Date);
  expect(date.getTime()).to.be.within(from, to);
}

describe("production fidelity: defaults and generated values", () => {
  // On SQLite the cases test the emulation; on PGlite (the PGlite leg) they state what Postgres does.
  for (const engine of POSTGRES_ENGINES) {
    const onPostgres = engine === "pglite";

    describe(`Postgres sequences on a shared connection, on ${engine}`, () => {
      let primary: SharedReplicationDataSource;
      let secondary: SharedReplicationDataSource;

      beforeEach(async function () {
        this.timeout(PGLITE_START_TIMEOUT);
        primary = new SharedReplicationDataSource({ type: "postgres", entities: [NumberedTicket] }, { engine });
        secondary = new SharedReplicationDataSource({ type: "postgres", entities: [NumberedTicket] }, { shareConnectionWith: primary });
        await primary.initialize();
        await secondary.initialize();
      });

      afterEach(async () => {
        await secondary.destroy();
        await primary.destroy();
      });

      it("should number a sequence column from one sequence for every DataSource on the connection, without collisions", async () => {
        const numbers: number[] = [];
        for (const dataSource of [primary, secondary, primary, secondary])
          numbers.push((await dataSource.getRepository(NumberedTicket).save({})).number);
        // A sequence is not transactional: PGlite's database outlives the DataSource (and its rollback), SQLite's is new.
        const start = onPostgres ? numbers[0]! : 1;
        expect(numbers).to.deep.equal([start, start + 1, start + 2, start + 3]);
        expect(await secondary.getRepository(NumberedTicket).count()).to.equal(4);
      });

      it("should not move the sequence for a row inserted by raw SQL with an explicit value, as Postgres does", async () => {
        const first = (await primary.getRepository(NumberedTicket).save({})).number;
        await secondary.query(`INSERT INTO numbered_ticket (id, number) VALUES ('00000000-0000-4000-8000-000000000001', ${first + 100})`);
        expect((await primary.getRepository(NumberedTicket).save({})).number).to.equal(first + 1);
        expect((await secondary.getRepository(NumberedTicket).save({})).number).to.equal(first + 2);
      });
    });

    describe(`Postgres, on ${engine}`, () => {
      let dataSource: SharedReplicationDataSource;

      before(async function () {
        this.timeout(PGLITE_START_TIMEOUT);
        dataSource = new SharedReplicationDataSource(postgresAppOptions, { engine });
        await dataSource.initialize();
      });

      after(() => dataSource.destroy());

      const documents = () => dataSource.getRepository(PgDocument);

      it("should fill gen_random_uuid(), uuid_generate_v4() and @Generated('uuid') with v4 uuids the entity knows after save", async () => {
        const saved = await documents().save({});
        expect(saved.id).to.match(UUID_V4);
        expect(saved.token).to.match(UUID_V4);
        expect(saved.reference).to.match(UUID_V4);
        expect(new Set([saved.id, saved.token, saved.reference]).size).to.equal(3);
        const replica = dataSource.createQueryRunner("slave");
        const read = await replica.manager.findOneByOrFail(PgDocument, { id: saved.id });
        await replica.release();
        expect(read).to.deep.include({ id: saved.id, token: saved.token, reference: saved.reference });
      });

      it("should number @Generated('increment') like a sequence: increasing, known after save, never reused after a rollback", async () => {
        const first = await documents().save({});
        const rolledBack = await rejectionOf(
          dataSource.transaction(async (manager) => {
            await manager.getRepository(PgDocument).save({});
            throw new Error("roll back");
          }),
        );
        expect((rolledBack as Error).message).to.equal("roll back");
        const next = await documents().save({});
        expect(first.serial).to.be.a("number");
        expect(next.serial).to.equal(first.serial + 2);
        expect((await dataSource.manager.findOneByOrFail(PgDocument, { id: next.id })).serial).to.equal(next.serial);
      });

      it("should apply literal defaults through the column types", async () => {
        const saved = await documents().save({});
        const read = await dataSource.manager.findOneByOrFail(PgDocument, { id: saved.id });
        expect(read).to.deep.include({
          status: "draft",
          views: 0,
          listed: true,
          price: "0.00",
          audience: Role.Member,
          meta: {},
          keywords: [],
          pages: [1, 2],
        });
      });

      if (onPostgres) {
        it("should fill now(), CURRENT_TIMESTAMP, CURRENT_DATE and LOCALTIME with the start of the insert's transaction", async () => {
          const { saved, started } = await dataSource.transaction(async (manager) => {
            const saved = await manager.getRepository(PgDocument).save({});
            await sleep(5);
            const [started] = (await manager.query(
              `SELECT now() AS "at", localtimestamp AS "local", current_date::text AS "day", localtime::text AS "time"`,
            )) as { at: Date; local: Date; day: string; time: string }[];
            return { saved, started: started! };
          });
          const read = await dataSource.manager.findOneByOrFail(PgDocument, { id: saved.id });
          expect(read.publishedAt.getTime(), "now()").to.equal(started.at.getTime());
          expect(read.createdAt.getTime(), "@CreateDateColumn: now()").to.equal(started.at.getTime());
          expect(read.indexedAt.getTime(), "CURRENT_TIMESTAMP in a timestamp column").to.equal(started.local.getTime());
          expect(read.issued).to.equal(started.day);
          expect(read.issuedAt)
            .to.equal(started.time)
            .and.to.match(/^\d\d:\d\d:\d\d(\.\d*[1-9])?$/);
        });
      } else {
        // The emulation gives now() the time of the statement: that of a save, which production runs in a transaction of its own.
        it("should fill now() and CURRENT_TIMESTAMP with the time of the insert, CURRENT_DATE with its date", async () => {
          const from = Date.now();
          const saved = await documents().save({});
          const to = Date.now();
          const read = await dataSource.manager.findOneByOrFail(PgDocument, { id: saved.id });
          expectBetween(read.publishedAt, from, to);
          expectBetween(read.indexedAt, from, to);
          expectBetween(read.createdAt, from, to);
          // CURRENT_DATE and LOCALTIME are the server's; the engine's server runs on UTC.
          expect([new Date(from).toISOString().slice(0, 10), new Date(to).toISOString().slice(0, 10)]).to.include(read.issued);
          expect(read.issuedAt, "Postgres prints time without trailing zeros").to.match(/^\d\d:\d\d:\d\d(\.\d*[1-9])?$/);
        });
      }

      it("should maintain create, update and delete date columns and the version", async () => {
        const created = await documents().save(documents().create());
        expect(created.version).to.equal(1);
        expect(created.deletedAt).to.equal(null);
        await sleep(5);
        created.status = "published";
        const { updated, started } = await dataSource.transaction(async (manager) => {
          const updated = await manager.save(created);
          // Postgres' CURRENT_TIMESTAMP is the start of the transaction: what now() in it returns (SQLite has no now() to ask).
          const [row] = onPostgres ? ((await manager.query("SELECT now() AS at")) as { at: Date }[]) : [];
          return { updated, started: row?.at };
        });
        expect(updated.version).to.equal(2);
        if (onPostgres) {
          expect(updated.updatedAt.getTime(), "@UpdateDateColumn: CURRENT_TIMESTAMP").to.equal(started!.getTime());
          expect(updated.updatedAt.getTime()).to.be.at.least(updated.createdAt.getTime());
        } else {
          expect(updated.updatedAt.getTime(), "now() has sub-second precision in Postgres").to.be.greaterThan(updated.createdAt.getTime());
        }

        await dataSource.manager.softRemove(updated);
        expect(await dataSource.manager.findOneBy(PgDocument, { id: created.id })).to.equal(null);
        const deleted = await dataSource.manager.findOneOrFail(PgDocument, { where: { id: created.id }, withDeleted: true });
        expect(deleted.deletedAt).to.be.instanceOf(Date);
        await dataSource.manager.restore(PgDocument, { id: created.id });
        expect((await dataSource.manager.findOneByOrFail(PgDocument, { id: created.id })).deletedAt).to.equal(null);
      });

      it("should give rows inserted with raw SQL the same defaults", async () => {
        await dataSource.query(`INSERT INTO "pg_document" ("serial", "version") VALUES (1000, 1)`);
        const read = await dataSource.manager.findOneByOrFail(PgDocument, { serial: 1000 });
        expect(read.id).to.match(UUID_V4);
        expect(read.token).to.match(UUID_V4);
        expect(read.reference, "@Generated('uuid') is a column default in Postgres").to.match(UUID_V4);
        expect(read).to.deep.include({ status: "draft", price: "0.00", meta: {}, keywords: [], version: 1 });
      });
    });

    // After the DataSource above is destroyed: on PGlite, the next one gets its database instead of starting one.
    describe(`Postgres defaults initialize cannot apply, on ${engine}`, () => {
      const brokenOptions = { ...postgresAppOptions, entities: [PgTicket] } as DataSourceOptions;

      if (onPostgres) {
        it("should fail initialize with Postgres' own error for a default naming a sequence that does not exist", async function () {
          this.timeout(PGLITE_START_TIMEOUT);
          const broken = new SharedReplicationDataSource(brokenOptions, { engine });
          const error = await rejectionOf(broken.initialize());
          expectPostgresError(error, SQLSTATE.undefinedTable);
          expect((error as Error).message).to.equal('relation "ticket_number_seq" does not exist');
          expect(broken.isInitialized).to.equal(false);
        });
      } else {
        it("should fail initialize with UnsupportedColumnDefaultError for a default the engine cannot evaluate", async () => {
          const broken = new SharedReplicationDataSource(brokenOptions, { engine });
          const error = await rejectionOf(broken.initialize());
          expect(error).to.be.instanceOf(UnsupportedColumnDefaultError);
          expect(error).to.include({ entity: "PgTicket", column: "number", expression: "nextval('ticket_number_seq')" });
          expect((error as Error).message).to.contain("@Generated()");
          expect(broken.isInitialized).to.equal(false);
        });
      }
    });
  }

  describe("MySQL", () => {
    let dataSource: SharedReplicationDataSource;

    before(async () => {
      dataSource = new SharedReplicationDataSource(mysqlAppOptions);
      await dataSource.initialize();
    });

    after(() => dataSource.destroy());

    it("should fill (UUID()) keys, CURRENT_TIMESTAMP with whole seconds and literals as MySQL does", async () => {
      const from = Date.now();
      const saved = await dataSource.getRepository(MyOrder).save({});
      const to = Date.now();
      expect(saved.id).to.match(UUID_V4);
      const read = await dataSource.manager.findOneByOrFail(MyOrder, { id: saved.id });
      expect(read).to.deep.include({ quantity: 1, size: Size.Small, state: "new", version: 1, deletedAt: null });
      expect(read.placedAt.getMilliseconds(), "MySQL's CURRENT_TIMESTAMP has no fraction").to.equal(0);
      expectBetween(read.placedAt, Math.floor(from / 1000) * 1000, to);
      expectBetween(read.createdAt, from, to);
    });

    it("should refresh an ON UPDATE CURRENT_TIMESTAMP column when the row changes", async () => {
      const cart = await dataSource.getRepository(MyCart).save({});
      const before = (await dataSource.manager.findOneByOrFail(MyCart, { id: cart.id })).touchedAt;
      await sleep(1100);
      await dataSource.manager.update(MyCart, { id: cart.id }, { items: 2 });
      const after = await dataSource.manager.findOneByOrFail(MyCart, { id: cart.id });
      expect(after.items).to.equal(2);
      expect(after.touchedAt.getTime()).to.be.greaterThan(before.getTime());
    });
  });
});
