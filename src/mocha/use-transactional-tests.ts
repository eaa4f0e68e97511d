import type { DataSource } from "typeorm";
import { TestIsolation, type TestIsolationOptions } from "../testing/test-isolation";
import { wrapCurrentTest } from "./wrap-current-test";
import { endTestAfterEach } from "./end-test-after-each";
import { mochaGlobals, type MochaContext } from "./mocha-globals";

/** What {@link useTransactionalTests} returns: access to the current test's data. */
export interface TransactionalTests<TData> {
  /** What `setUpTestData` returned, as a deep copy made for the current test. */
  readonly testData: TData;
  /** The underlying framework-neutral lifecycle. */
  readonly isolation: TestIsolation<TData>;
}

/**
 * Installs before/after hooks in the current mocha `describe`: one transaction for the block
 * (`setUpTestData` runs inside it), one savepoint per test, rolled back after each. A test that
 * leaves a runner unreleased or a transaction open fails with `TestLeakError`. Call it before
 * registering your own `afterEach` hooks in the same block, so theirs run inside the test's savepoint.
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
  before(() => isolation.beginGroup());
  beforeEach(async function (this: MochaContext) {
    wrapCurrentTest(this, isolation, await isolation.beginTest(this.currentTest?.title));
  });
  afterEach(() => endTestAfterEach(isolation));
  after(() => isolation.endGroup());
  return {
    get testData() {
      return isolation.testData;
    },
    isolation,
  };
}
