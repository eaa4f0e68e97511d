import { expect } from "chai";
import { AsyncResource } from "node:async_hooks";
import { createTestDataSource, testDatabase, testServer } from "../ormconfig.test";
import { ReplicaWriteError, type SharedQueryRunner, type SharedReplicationDataSource } from "../src";
import { classifyStatement } from "../src/sql/statement-classifier";
import { Item } from "./fixtures/item-entity";
import { rejectionOf, sleep } from "./support/capture-error";

const writes: Record<string, string> = {
  INSERT: "INSERT INTO item (value) VALUES (1)",
  UPDATE: "UPDATE item SET value = 2",
  DELETE: "DELETE FROM item",
  REPLACE: "REPLACE INTO item (id, value) VALUES (1, 3)",
  UPSERT: "INSERT INTO item (id, value) VALUES (1, 4) ON CONFLICT (id) DO UPDATE SET value = excluded.value",
  "CREATE TABLE": "CREATE TABLE other (id integer)",
  "ALTER TABLE": "ALTER TABLE item ADD COLUMN extra text",
  "DROP TABLE": "DROP TABLE item",
  "CREATE INDEX": "CREATE INDEX idx_value ON item (value)",
  TRUNCATE: "TRUNCATE item",
  "SELECT FOR UPDATE": "SELECT * FROM item FOR UPDATE",
  "SELECT FOR SHARE": "SELECT * FROM item FOR SHARE",
  "SELECT FOR NO KEY UPDATE": "SELECT * FROM item FOR NO KEY UPDATE",
  "SELECT LOCK IN SHARE MODE": "SELECT * FROM item LOCK IN SHARE MODE",
  "SELECT INTO": "SELECT * INTO item_copy FROM item",
  "data-modifying CTE": "WITH gone AS (DELETE FROM item RETURNING id) SELECT count(*) FROM gone",
  "comment before the statement": "/* app: cleanup */ DELETE FROM item",
  "PRAGMA assignment": "PRAGMA foreign_keys = OFF",
};

/** A read the guard must let through, and what it returns on the two rows the read tests seed. */
interface Read {
  readonly sql: string;
  readonly expectResult: (rows: unknown[], seeded: readonly Item[]) => void;
}

const seededRows = (seeded: readonly Item[]) => seeded.map(({ id, value }) => ({ id, value }));
const byValue = (rows: unknown[]) => [...(rows as { value: number }[])].sort((a, b) => a.value - b.value);
// MariaDB quotes identifiers with backticks; there "into" would be a string, not the identifier the case is about.
const quote = testServer === "mariadb" ? "`" : '"';
// The family of the application the suite's DataSource tests (productionOptions' type).
const family = testServer === "mariadb" ? "mysql" : "postgres";

const reads: Record<string, Read> = {
  SELECT: {
    sql: "SELECT * FROM item",
    expectResult: (rows, seeded) => expect(byValue(rows)).to.deep.equal(seededRows(seeded)),
  },
  "SELECT with a string mentioning UPDATE": {
    sql: "SELECT * FROM item WHERE 'FOR UPDATE' <> 'x'",
    expectResult: (rows, seeded) => expect(byValue(rows)).to.deep.equal(seededRows(seeded)),
  },
  "quoted identifier named into": {
    sql: `SELECT ${quote}into${quote} FROM (SELECT 1 AS ${quote}into${quote}) AS t`,
    expectResult: (rows) => expect(rows).to.deep.equal([{ into: 1 }]),
  },
  "read-only CTE": {
    sql: "WITH v AS (SELECT value FROM item) SELECT * FROM v",
    expectResult: (rows, seeded) => expect(byValue(rows)).to.deep.equal(seeded.map(({ value }) => ({ value }))),
  },
  EXPLAIN: {
    sql: "EXPLAIN SELECT * FROM item",
    // Each engine's own plan format: Postgres and MariaDB name the table, SQLite lists the bytecode that opens it.
    expectResult: (rows) => {
      expect(rows).to.be.an("array").that.is.not.empty;
      if (testDatabase) expect(JSON.stringify(rows)).to.contain("item");
      else expect(rows.map((row) => (row as { opcode: string }).opcode)).to.include("OpenRead");
    },
  },
};

// SQLite-only reads (TypeORM's SQLite schema reader sends them); a server would reject the syntax
// itself, so they run only on the in-memory engines.
const sqliteReads: Record<string, Read> = testDatabase
  ? {}
  : {
      "PRAGMA read": {
        sql: "PRAGMA table_info(item)",
        expectResult: (rows) => expect(rows.map((row) => (row as { name: string }).name)).to.deep.equal(["id", "value"]),
      },
    };

describe("replica write guard", () => {
  let dataSource: SharedReplicationDataSource;

  beforeEach(async () => {
    dataSource = createTestDataSource({}, { entities: [Item] });
    await dataSource.initialize();
  });

  afterEach(() => dataSource.destroy());

  for (const [kind, sql] of Object.entries(writes)) {
    it(`should reject ${kind} through a replica runner with ReplicaWriteError naming the SQL and role`, async () => {
      const replica = dataSource.createQueryRunner("slave");
      const error = await rejectionOf(replica.query(sql));
      expect(error).to.be.instanceOf(ReplicaWriteError);
      const guardError = error as ReplicaWriteError;
      expect(guardError.sql).to.equal(sql);
      expect(guardError.role).to.equal("slave");
      expect(guardError.replicaIndex).to.equal(replica.replicaIndex);
      expect(guardError.message).to.contain(sql).and.to.contain('role "slave"');
      expect(await dataSource.getRepository(Item).count()).to.equal(0);
    });
  }

  for (const [kind, read] of Object.entries({ ...reads, ...sqliteReads })) {
    it(`should let ${kind} through a replica runner`, async () => {
      const seeded = await dataSource.getRepository(Item).save([{ value: 5 }, { value: 7 }]);
      const replica = dataSource.createQueryRunner("slave");
      expect(replica.replicaIndex, "served by a replica, so guarded").to.be.a("number");
      const { result, queries } = await dataSource.queryLog.capture(() => replica.query(read.sql));
      read.expectResult(result as unknown[], seeded);
      const sent = queries.filter((entry) => !entry.internal);
      expect(sent.map(({ role, replicaIndex, sql, error }) => ({ role, replicaIndex, sql, error }))).to.deep.equal([
        { role: "slave", replicaIndex: replica.replicaIndex, sql: read.sql, error: undefined },
      ]);
    });
  }

  const transactionControl = [
    {
      title: "should let transaction control through a replica runner, as read-only replicas allow",
      begin: (runner: SharedQueryRunner) => runner.startTransaction(),
      commit: (runner: SharedQueryRunner) => runner.commitTransaction(),
      counted: true,
    },
    {
      title: "should let raw BEGIN and COMMIT through a replica runner, as read-only replicas allow",
      begin: (runner: SharedQueryRunner) => runner.query("BEGIN"),
      commit: (runner: SharedQueryRunner) => runner.query("COMMIT"),
      counted: false,
    },
  ];
  for (const { title, begin, commit, counted } of transactionControl) {
    it(title, async () => {
      const seeded = await dataSource.getRepository(Item).save([{ value: 5 }, { value: 7 }]);
      const events: string[] = [];
      // Bound before the transaction opens, so the count runs in a flow of its own and must wait (see transactions.test.ts).
      const countInAnotherFlow = AsyncResource.bind(() => dataSource.getRepository(Item).count());
      const replica = dataSource.createQueryRunner("slave");
      dataSource.queryLog.clear();

      await begin(replica);
      // startTransaction() counts its transaction, raw BEGIN is not counted: as on TypeORM's own runners.
      expect(replica.isTransactionActive).to.equal(counted);
      const otherFlow = countInAnotherFlow().then((count) => events.push(`other flow counted ${count}`));
      expect(byValue(await replica.query("SELECT * FROM item"))).to.deep.equal(seededRows(seeded));
      // Read-only still: the transaction lets no write through.
      expect(await rejectionOf(replica.query(writes.INSERT!))).to.be.instanceOf(ReplicaWriteError);
      await sleep(10);
      events.push("replica commits");
      await commit(replica);
      expect(replica.isTransactionActive).to.equal(false);
      await otherFlow;

      expect(events).to.deep.equal(["replica commits", "other flow counted 2"]);
      const control = dataSource.queryLog.entries().filter((entry) => entry.runnerId === replica.runnerId && entry.kind === "transaction");
      for (const entry of control) {
        expect(entry, entry.sql).to.include({ role: "slave", replicaIndex: replica.replicaIndex });
        expect(entry.error, entry.sql).to.equal(undefined);
      }
      // On a server the test's session transaction sits below, so the runner's is a savepoint, and
      // its commit sends nothing: the savepoint is kept and ends with the session transaction.
      if (testDatabase) expect(control.map((entry) => entry.sql.replace(/\d+$/, "N"))).to.deep.equal(["SAVEPOINT typeorm_shared_N"]);
      else expect(control.map((entry) => entry.sql)).to.deep.equal(["BEGIN TRANSACTION", "COMMIT"]);
      // The connection is free again for the replica runner itself.
      const [{ n }] = (await replica.query("SELECT count(*) AS n FROM item")) as [{ n: number | string }];
      expect(Number(n)).to.equal(2);
    });
  }

  it("should reject writes made through a replica runner's manager", async () => {
    const replica = dataSource.createQueryRunner("slave");
    expect(await rejectionOf(replica.manager.insert(Item, { value: 1 }))).to.be.instanceOf(ReplicaWriteError);
  });

  it("should let writes through replica runners when allowReplicaWrites is set", async () => {
    const permissive = createTestDataSource({ allowReplicaWrites: true }, { entities: [Item] });
    await permissive.initialize();
    try {
      await permissive.createQueryRunner("slave").query(writes.INSERT!);
      expect(await permissive.getRepository(Item).count()).to.equal(1);
    } finally {
      await permissive.destroy();
    }
  });

  it("should never guard master runners", async () => {
    await dataSource.createQueryRunner("master").query(writes.INSERT!);
    expect(await dataSource.getRepository(Item).count()).to.equal(1);
  });

  it("should classify every statement kind", () => {
    for (const sql of Object.values(writes)) expect(classifyStatement(sql, family), sql).to.equal("write");
    for (const sql of [...Object.values(reads).map((read) => read.sql), "PRAGMA table_info(item)", "EXPLAIN QUERY PLAN SELECT 1"]) {
      expect(classifyStatement(sql, family), sql).to.equal("read");
    }
    for (const sql of ["BEGIN TRANSACTION", "COMMIT", "ROLLBACK TO SAVEPOINT a", "SAVEPOINT a", "RELEASE SAVEPOINT a"]) {
      expect(classifyStatement(sql, family), sql).to.equal("transaction");
    }
  });
});
