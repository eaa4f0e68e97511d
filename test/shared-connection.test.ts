import { expect } from "chai";
import { AsyncResource } from "node:async_hooks";
import { createTestDataSource } from "../ormconfig.test";
import type { SharedReplicationDataSource } from "../src";
import { Author } from "./fixtures/blog-entities";
import { Item } from "./fixtures/item-entity";
import { sleep } from "./support/capture-error";

describe("several DataSources on one connection", () => {
  let primary: SharedReplicationDataSource;
  let secondary: SharedReplicationDataSource;

  beforeEach(async () => {
    primary = createTestDataSource();
    secondary = createTestDataSource({ shareConnectionWith: primary, replicas: 1 }, { entities: [Item], name: "slave1" } as never);
    await primary.initialize();
    await secondary.initialize();
  });

  afterEach(async () => {
    if (primary.isInitialized) await primary.destroy();
    if (secondary.isInitialized) await secondary.destroy();
  });

  it("should create the schema for the union of both DataSources' entities", async () => {
    const runner = secondary.createQueryRunner("slave");
    const exists = await Promise.all(["author", "post", "item"].map((table) => runner.hasTable(table)));
    await runner.release();
    expect(exists).to.deep.equal([true, true, true]);
  });

  it("should make writes through either visible through both", async () => {
    await primary.getRepository(Author).save({ name: "alice" });
    await secondary.getRepository(Item).insert({ value: 1 });
    expect(await secondary.createQueryRunner("slave").query("SELECT name FROM author")).to.deep.equal([{ name: "alice" }]);
    expect(await primary.createQueryRunner("slave").query("SELECT value FROM item")).to.deep.equal([{ value: 1 }]);
  });

  it("should make one DataSource's transaction see the other's uncommitted writes when nested, and wait otherwise", async () => {
    const events: string[] = [];
    const countAuthors = async (who: string) => {
      const [{ n }] = (await secondary.query("SELECT count(*) AS n FROM author")) as { n: number | string }[];
      events.push(`${who} counted ${Number(n)}`);
    };
    // Bound before the transaction opens, so the count runs in a flow of its own (see transactions.test.ts).
    const countInAnotherFlow = AsyncResource.bind(() => countAuthors("other flow"));
    let otherFlow: Promise<void> | undefined;
    await primary.transaction(async (manager) => {
      await manager.save(Author, { name: "bob" });
      otherFlow = countInAnotherFlow();
      await countAuthors("nested");
      // Gives the other flow every chance to run, were it not waiting.
      await sleep(20);
      await manager.save(Author, { name: "dave" });
      events.push("transaction commits");
    });
    await otherFlow;
    expect(events).to.deep.equal(["nested counted 1", "transaction commits", "other flow counted 2"]);
  });

  it("should keep the connection open until the last DataSource is destroyed", async () => {
    await primary.getRepository(Author).save({ name: "carol" });
    await primary.destroy();
    expect(await secondary.query("SELECT name FROM author")).to.deep.equal([{ name: "carol" }]);
  });
});
