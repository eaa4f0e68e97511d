// Run by test/vitest-harness-runs.test.ts.
// #region vitest
import { describe, expect, it } from "vitest";
import { useTransactionalTests } from "../../src/vitest";
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
// #endregion vitest
