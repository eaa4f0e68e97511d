import { expect } from "chai";
import { QueryFailedError } from "typeorm";
import { createTestDataSource, testDatabase } from "../ormconfig.test";
import { TestIsolation, type SharedReplicationDataSource } from "../src";
import { withoutCopyFromStdin } from "../src/engines/pglite/copy-from-stdin";
import { Item } from "./fixtures/item-entity";
import { rejectionOf } from "./support/capture-error";

/** The SQLSTATE of a failed statement's driver error. */
const sqlState = (error: unknown) => {
  expect(error).to.be.instanceOf(QueryFailedError);
  return (error as { driverError?: { code?: string } }).driverError?.code;
};

describe("COPY … FROM STDIN on the PGlite engine", () => {
  it("should replace each such statement, and only those, with one that fails as a server fails it for the sender", () => {
    for (const sql of [
      "COPY item FROM STDIN",
      "copy item (id, value) from stdin with (format csv)",
      "SELECT 1; COPY item FROM STDIN; SELECT 2",
    ]) {
      const replaced = withoutCopyFromStdin(sql, "query");
      expect(replaced, sql).to.match(
        /RAISE EXCEPTION USING ERRCODE = '57014', MESSAGE = 'COPY from stdin failed: No source stream defined'/,
      );
      expect(replaced, sql).not.to.match(/\bCOPY\s+item/i);
    }
    expect(withoutCopyFromStdin("SELECT 1; COPY item FROM STDIN; SELECT 2", "query")).to.match(/^SELECT 1; DO .*; SELECT 2$/);
    // A data stream (pg-copy-streams) a server would take: PGlite cannot, and the error says what to do.
    expect(withoutCopyFromStdin("COPY item FROM STDIN", "copy stream")).to.match(/ERRCODE = '0A000'.*Postgres server engine/);
    // A cursor, which on a server makes pg throw outside any promise: an error that says so instead.
    expect(withoutCopyFromStdin("COPY item FROM STDIN", "cursor")).to.match(/ERRCODE = '0A000'.*ends the process/);
    for (const sql of [
      "COPY item TO STDOUT",
      "COPY (SELECT * FROM stdin) TO STDOUT",
      "SELECT 'COPY item FROM STDIN'",
      "/* COPY item FROM STDIN */ SELECT 1",
      "INSERT INTO item (value) SELECT 1 FROM stdin",
    ]) {
      expect(withoutCopyFromStdin(sql, "query"), sql).to.equal(undefined);
    }
  });

  // The same behaviour on PGlite and on a Postgres server: the server leg shows what production does.
  if (testDatabase !== "postgres") return;

  describe(`on ${process.env.TEST_SERVER ? "the Postgres server" : "PGlite"}`, function () {
    this.timeout(60_000);
    let dataSource: SharedReplicationDataSource;
    let isolation: TestIsolation;

    before(async () => {
      dataSource = createTestDataSource({}, { entities: [Item] });
      isolation = new TestIsolation(dataSource);
      await isolation.beginGroup();
    });

    after(async () => {
      await isolation.endGroup();
    });

    beforeEach(async () => {
      await isolation.beginTest();
    });

    afterEach(async () => {
      await isolation.endTest();
    });

    it("should fail a COPY FROM STDIN sent with no data with Postgres' own error, and go on", async () => {
      await dataSource.getRepository(Item).insert({ value: 1 });
      const error = await rejectionOf(dataSource.query("COPY item FROM STDIN"));
      expect(sqlState(error)).to.equal("57014");
      expect((error as Error).message).to.equal("COPY from stdin failed: No source stream defined");
      // The test's own write is still there, and the connection still answers.
      expect(await dataSource.getRepository(Item).count()).to.equal(1);
    });

    if (!process.env.TEST_SERVER) {
      // On a server, pg throws a TypeError from its socket handler for this, and the process exits.
      it("should fail one sent through stream() with an error that says what a server would do, and go on", async () => {
        await dataSource.getRepository(Item).insert({ value: 3 });
        const runner = dataSource.createQueryRunner();
        try {
          const stream = await runner.stream("COPY item FROM STDIN");
          const error = await new Promise<unknown>((resolve) => {
            stream.on("error", resolve);
            stream.on("end", () => resolve(undefined));
            stream.resume();
          });
          expect((error as { code?: string }).code).to.equal("0A000");
          expect((error as Error).message).to.contain("ends the process");
        } finally {
          await runner.release();
        }
        expect(await dataSource.getRepository(Item).count()).to.equal(1);
      });
    }

    it("should abort the application's transaction it failed in, as any failed statement does", async () => {
      const inside = await rejectionOf(
        dataSource.transaction(async (manager) => {
          await manager.insert(Item, { value: 2 });
          expect(sqlState(await rejectionOf(manager.query("COPY item FROM STDIN")))).to.equal("57014");
          await manager.query("SELECT 1");
        }),
      );
      expect(sqlState(inside)).to.equal("25P02");
      expect(await dataSource.getRepository(Item).count()).to.equal(0);
    });
  });
});
