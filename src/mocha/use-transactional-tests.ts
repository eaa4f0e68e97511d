import type { DataSource } from "typeorm";
import { endTestAfterEach } from "../testing/end-test-after-each";
import { TestIsolation, type TestIsolationOptions } from "../testing/test-isolation";
import { transactionalTests, type TransactionalTests } from "../testing/transactional-tests";
import { mochaGlobals, type MochaContext } from "./mocha-globals";
import { runAfterEachHooksLast, wrapCurrentTest } from "./wrap-current-test";

/**
 * Installs before/after hooks in the current mocha `describe`: one transaction for the block
 * (`setUpTestData` runs inside it), one savepoint per test, rolled back after each. A test that
 * leaves a runner unreleased or a transaction open fails with `TestLeakError`. Your own
 * `afterEach` hooks in the same block run inside the test's savepoint, whether you register them
 * before or after calling it.
 * Jest and Vitest have their own, with the same signature: `typeorm-shared-replication/jest` and
 * `typeorm-shared-replication/vitest`.
 *
 * @example
 * ```ts
 * describe("UserService", () => {
 *   const tests = useTransactionalTests(testDataSource, {
 *     setUpTestData: async (manager) => ({ alice: await manager.save(User, { name: "alice" }) }),
 *   });
 *   it("renames", async () => {
 *     await service.rename(tests.testData.alice.id, "bob");
 *   });
 * });
 * ```
 */
export function useTransactionalTests<TData = undefined>(
  dataSource: DataSource,
  options: TestIsolationOptions<TData> = {},
): TransactionalTests<TData> {
  const { before, after, beforeEach, afterEach } = mochaGlobals("useTransactionalTests()");
  const isolation = new TestIsolation(dataSource, options);
  const endTest = () => endTestAfterEach(isolation);
  before(function (this: MochaContext) {
    runAfterEachHooksLast(this, endTest);
    return isolation.beginGroup();
  });
  beforeEach(async function (this: MochaContext) {
    wrapCurrentTest(this, isolation, await isolation.beginTest(this.currentTest?.title));
  });
  afterEach(endTest);
  after(() => isolation.endGroup());
  return transactionalTests(isolation);
}
