import type { DataSource } from "typeorm";
import { endTestAfterEach } from "../testing/end-test-after-each";
import { TestIsolation, type TestIsolationOptions } from "../testing/test-isolation";
import { transactionalTests, type TransactionalTests } from "../testing/transactional-tests";
import { wrapTestFunction, type TestWithFunction } from "../testing/wrap-test-function";
import { jestGlobals } from "./jest-globals";
import { runAfterEachHookLast, runningCircusTest } from "./circus-state";

/**
 * Installs Jest hooks in the current `describe` block (or, called at the top of a test file or of
 * a `setupFilesAfterEnv` file, around every test of the file): one transaction for the block
 * (`setUpTestData` runs inside it), one savepoint per test, rolled back after each. Each test body
 * runs in the test's async scope, so work it leaves running fails with `TestEndedError` once the
 * test ended; a test that leaves a runner unreleased or a transaction open fails with
 * `TestLeakError`, reported once, in that test, and never on top of the test's own failure. Your
 * own `afterEach` hooks run inside the test's savepoint, registered before or after it. Jest 29 or
 * 30, with jest-circus (Jest's default runner). Same signature and handle as the mocha
 * `useTransactionalTests`.
 *
 * @example
 * ```ts
 * import { it } from "@jest/globals";
 * import { useTransactionalTests } from "typeorm-shared-replication/jest";
 *
 * const tests = useTransactionalTests(testDataSource, {
 *   setUpTestData: async (manager) => ({ alice: await manager.save(User, { name: "alice" }) }),
 * });
 * it("renames", async () => {
 *   await service.rename(tests.testData.alice.id, "bob");
 * });
 * ```
 */
export function useTransactionalTests<TData = undefined>(
  dataSource: DataSource,
  options: TestIsolationOptions<TData> = {},
): TransactionalTests<TData> {
  const { afterAll, afterEach, beforeAll, beforeEach, expect } = jestGlobals("useTransactionalTests()");
  const runningTest = runningCircusTest("useTransactionalTests()");
  const isolation = new TestIsolation(dataSource, options);
  const endTest = () => endTestAfterEach(isolation);
  beforeAll(() => {
    runAfterEachHookLast(endTest);
    return isolation.beginGroup();
  });
  beforeEach(async () => {
    const test = runningTest();
    const testId = await isolation.beginTest(expect.getState().currentTestName ?? test?.name);
    // circus calls `test.fn` after the before-each hooks, with `done` when it takes one, as mocha does.
    // Its TestFn types `this` as circus's test context, which the wrapper passes through untouched.
    wrapTestFunction(test as TestWithFunction | undefined, isolation, testId);
  });
  afterEach(endTest);
  afterAll(() => isolation.endGroup());
  return transactionalTests(isolation);
}
