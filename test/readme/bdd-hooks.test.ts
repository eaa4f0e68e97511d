// #region bdd-hooks
import { expect } from "chai";
import { useTransactionalTests } from "../../src";
import { User } from "./app";
import { testDataSource } from "./test-data-source";

describe("users", () => {
  const tests = useTransactionalTests(testDataSource, {
    setUpTestData: async (manager) => ({ alice: await manager.save(manager.create(User, { name: "alice" })) }),
  });

  it("should see a row written inside an open transaction from a replica", async () => {
    const replica = testDataSource.createQueryRunner("slave");
    await testDataSource.transaction(async (manager) => {
      await manager.save(User, { name: "carol" });
      expect(await replica.manager.count(User)).to.equal(2);
    });
    await replica.release();
  });

  it("should start every test from the fixtures alone", async () => {
    expect(await testDataSource.getRepository(User).count()).to.equal(1);
    expect(tests.testData.alice.name).to.equal("alice");
  });
});
// #endregion bdd-hooks
