import { expect } from "chai";
import { createTestDataSource, testServer } from "../ormconfig.test";
import { ReplicaWriteError, type SharedReplicationDataSource } from "../src";
import { classifyStatement } from "../src/replication/statement-classifier";
import { Item } from "./fixtures/item-entity";
import { rejectionOf } from "./support/capture-error";

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

const reads: Record<string, string> = {
  SELECT: "SELECT * FROM item",
  "SELECT with a string mentioning UPDATE": "SELECT * FROM item WHERE 'FOR UPDATE' = 'x'",
  "quoted identifier named into": 'SELECT "into" FROM (SELECT 1 AS "into") AS t',
  "read-only CTE": "WITH v AS (SELECT value FROM item) SELECT * FROM v",
  EXPLAIN: "EXPLAIN SELECT * FROM item",
};

// SQLite-only reads (TypeORM's SQLite schema reader sends them); a server would reject the syntax
// itself, so they run only on the in-memory engines.
const sqliteReads: Record<string, string> = testServer ? {} : { "PRAGMA read": "PRAGMA table_info(item)" };

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

  for (const [kind, sql] of Object.entries({ ...reads, ...sqliteReads })) {
    it(`should let ${kind} through a replica runner`, async () => {
      await dataSource.createQueryRunner("slave").query(sql);
    });
  }

  it("should let transaction control through a replica runner, as read-only replicas allow", async () => {
    const replica = dataSource.createQueryRunner("slave");
    await replica.startTransaction();
    await replica.query("SELECT 1");
    await replica.commitTransaction();
  });

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
    for (const sql of Object.values(writes)) expect(classifyStatement(sql), sql).to.equal("write");
    for (const sql of [...Object.values(reads), "PRAGMA table_info(item)", "EXPLAIN QUERY PLAN SELECT 1"]) {
      expect(classifyStatement(sql), sql).to.equal("read");
    }
    for (const sql of ["BEGIN TRANSACTION", "COMMIT", "ROLLBACK TO SAVEPOINT a", "SAVEPOINT a", "RELEASE SAVEPOINT a"]) {
      expect(classifyStatement(sql), sql).to.equal("transaction");
    }
  });
});
