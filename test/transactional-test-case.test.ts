import { expect } from "chai";
import type { EntityManager } from "typeorm";
import { TransactionalTestCase, TruncatingTestCase } from "../src";
import { Author, Post } from "./fixtures/blog-entities";
import { Item } from "./fixtures/item-entity";
import { createTestDataSource, testServer } from "../ormconfig.test";
import { harnessDataSource } from "./support/test-data-source";

const items = () => harnessDataSource.getRepository(Item);

class LeakCanaryTest extends TransactionalTestCase {
  static override dataSource = harnessDataSource;

  async test1InsertsAndSeesItsRow() {
    await items().insert({ value: 1 });
    expect(await items().count()).to.equal(1);
  }

  async test2FindsTheTableEmptyAndInserts() {
    expect(await items().count()).to.equal(0);
    await this.dataSource.transaction((manager) => manager.insert(Item, { value: 2 }));
    expect(await items().count()).to.equal(1);
  }

  async test3FindsTheTableEmptyAgain() {
    expect(await items().count()).to.equal(0);
  }
}
LeakCanaryTest.register();

class AuthorFixturesTest extends TransactionalTestCase<{ alice: Author; bob: Author }> {
  static override dataSource = harnessDataSource;
  static setUpCalls = 0;

  static async setUpTestData(manager: EntityManager) {
    AuthorFixturesTest.setUpCalls++;
    return {
      alice: await manager.save(Author, { name: "alice" }),
      bob: await manager.save(manager.create(Author, { name: "bob" })),
    };
  }

  calls: string[] = [];

  override async setUp() {
    this.calls.push("setUp");
  }

  async testSeesTheFixtureRowsAndEntities() {
    expect(this.calls).to.deep.equal(["setUp"]);
    expect(this.testData.bob).to.be.instanceOf(Author);
    expect((await this.dataSource.getRepository(Author).find({ order: { name: "ASC" } })).map((a) => a.name)).to.deep.equal([
      "alice",
      "bob",
    ]);
  }

  async testMutatesTheFixtureRowAndCopy() {
    this.testData.alice.name = "renamed";
    await this.dataSource.getRepository(Author).save(this.testData.alice);
    expect(await this.dataSource.getRepository(Author).countBy({ name: "renamed" })).to.equal(1);
  }

  async testFindsTheFixtureRestoredAndAFreshCopy() {
    expect(this.testData.alice.name).to.equal("alice");
    expect(await this.dataSource.getRepository(Author).countBy({ name: "alice" })).to.equal(1);
    expect(AuthorFixturesTest.setUpCalls).to.equal(1);
  }
}
AuthorFixturesTest.register();

class InheritingTest extends LeakCanaryTest {
  async test4OnlyInTheSubclass() {
    expect(await items().count()).to.equal(0);
  }
}
InheritingTest.register();

describe("TransactionalTestCase registration", () => {
  it("should define one test per test* method, inherited ones included", () => {
    const titles: string[] = [];
    const globals = globalThis as unknown as Record<string, unknown>;
    const saved = { describe: globals.describe, it: globals.it };
    globals.describe = (_title: string, fn: () => void) => fn();
    globals.it = (title: string) => void titles.push(title);
    try {
      InheritingTest.register();
    } finally {
      Object.assign(globals, saved);
    }
    expect(titles).to.deep.equal([
      "test1InsertsAndSeesItsRow",
      "test2FindsTheTableEmptyAndInserts",
      "test3FindsTheTableEmptyAgain",
      "test4OnlyInTheSubclass",
    ]);
  });
});

const truncatingDataSource = createTestDataSource({}, { entities: [Author, Post, Item] });

class TruncatingCanaryTest extends TruncatingTestCase {
  static override dataSource = truncatingDataSource;

  static async setUpTestData(manager: EntityManager) {
    return { alice: await manager.save(Author, { name: "alice" }) };
  }

  async test1CommitsForReal() {
    const runner = this.dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.manager.insert(Item, { value: 1 });
    await runner.commitTransaction();
    await runner.release();
    expect(await this.dataSource.getRepository(Item).count()).to.equal(1);
  }

  async test2FindsTablesEmptiedAndFixturesReloaded() {
    expect(await this.dataSource.getRepository(Item).count()).to.equal(0);
    const authors = await this.dataSource.getRepository(Author).find();
    expect(authors.map((a) => a.name)).to.deep.equal(["alice"]);
    // MySQL can only reset AUTO_INCREMENT with DDL, which would commit implicitly; the other engines reset ids.
    if (testServer !== "mariadb") expect(authors.map((a) => a.id)).to.deep.equal([1]);
  }
}
TruncatingCanaryTest.register();
