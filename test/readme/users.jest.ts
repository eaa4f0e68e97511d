// Run by test/jest-harness-runs.test.ts.
// #region jest
import { describe, expect, it } from "@jest/globals";
import { useTransactionalTests } from "../../src/jest";
import { User, UserService } from "./app";
import { testDataSource } from "./test-data-source";

describe("UserService", () => {
  const tests = useTransactionalTests(testDataSource, {
    setUpTestData: async (manager) => ({ alice: await manager.save(manager.create(User, { name: "alice" })) }),
  });

  it("should rename a user and read the new name back through a replica", async () => {
    const renamed = await new UserService(testDataSource).rename(tests.testData.alice.id, "bob");
    expect(renamed.name).toBe("bob");
  });

  it("should start every test from the fixtures alone", async () => {
    expect(await testDataSource.getRepository(User).findOneByOrFail({ id: tests.testData.alice.id })).toMatchObject({ name: "alice" });
  });
});
// #endregion jest
