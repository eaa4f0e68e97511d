import { expect } from "chai";
import { createTestDataSource, testDatabase } from "../ormconfig.test";
import type { SharedReplicationDataSource } from "../src";
import { Item } from "./fixtures/item-entity";

describe("query log", () => {
  let dataSource: SharedReplicationDataSource;

  afterEach(() => dataSource.destroy());

  it("should record role, replica, runner, SQL, parameters and duration of every statement", async () => {
    dataSource = createTestDataSource({}, { entities: [Item] });
    await dataSource.initialize();
    dataSource.queryLog.clear();
    const replica = dataSource.createQueryRunner("slave");
    const placeholder = testDatabase === "postgres" ? "$1" : "?";
    await replica.query(`SELECT value FROM item WHERE value = ${placeholder}`, [42]);
    const master = dataSource.createQueryRunner("master");
    await master.query(`INSERT INTO item (value) VALUES (${placeholder})`, [1]);
    const [read, write] = dataSource.queryLog.entries();
    expect(read).to.include({
      role: "slave",
      replicaIndex: replica.replicaIndex,
      runnerId: replica.runnerId,
      kind: "data",
      internal: false,
    });
    expect(read!.sql).to.equal(`SELECT value FROM item WHERE value = ${placeholder}`);
    expect(read!.parameters).to.deep.equal([42]);
    expect(read!.durationMs).to.be.a("number").and.at.least(0);
    expect(write).to.include({ role: "master", replicaIndex: undefined, runnerId: master.runnerId });
  });

  it("should record failed statements with their error", async () => {
    dataSource = createTestDataSource({}, { entities: [Item] });
    await dataSource.initialize();
    await dataSource.query("SELECT * FROM missing_table").catch(() => undefined);
    const last = dataSource.queryLog.entries().at(-1)!;
    expect(last.sql).to.equal("SELECT * FROM missing_table");
    expect(String(last.error)).to.match(/no such table|does not exist|doesn't exist/);
  });

  it("should capture the statements of one async function, with its result", async () => {
    dataSource = createTestDataSource({}, { entities: [Item] });
    await dataSource.initialize();
    const items = dataSource.getRepository(Item);
    const { result, queries } = await dataSource.queryLog.capture(async () => {
      await items.insert({ value: 1 });
      return items.count();
    });
    expect(result).to.equal(1);
    expect(queries.filter((q) => q.kind === "data").map((q) => [q.role, q.sql.split(" ")[0]])).to.deep.equal([
      ["master", "INSERT"],
      ["slave", "SELECT"],
    ]);
  });

  it("should keep only the last queryLogSize entries", async () => {
    dataSource = createTestDataSource({ queryLogSize: 3 }, { entities: [Item] });
    await dataSource.initialize();
    for (let i = 0; i < 10; i++) await dataSource.query(`SELECT ${i} AS n`);
    expect(dataSource.queryLog.size).to.equal(3);
    expect(dataSource.queryLog.entries().map((q) => q.sql)).to.deep.equal(["SELECT 7 AS n", "SELECT 8 AS n", "SELECT 9 AS n"]);
  });
});
