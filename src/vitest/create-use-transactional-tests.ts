import type { DataSource } from "typeorm";
import { SharedReplicationError } from "../errors/shared-replication-error";
import { endTestAfterEach } from "../testing/end-test-after-each";
import { TestIsolation, type TestIsolationOptions } from "../testing/test-isolation";
import { transactionalTests, type TransactionalTests } from "../testing/transactional-tests";
import type { VitestHooks } from "./vitest-hooks";

/** The signature of `useTransactionalTests`, the same under every runner. */
export type UseTransactionalTests = <TData = undefined>(
  dataSource: DataSource,
  options?: TestIsolationOptions<TData>,
) => TransactionalTests<TData>;

/**
 * Vitest's `useTransactionalTests`, over Vitest's own hooks: a transaction per block, and around
 * each test (`aroundEach`: its before-each hooks, body and after-each hooks) a savepoint and the
 * test's async scope. A test that passed and leaked fails with `TestLeakError`; one that failed or
 * timed out already has its error, and its leftovers are rolled back without a second one.
 */
export function createUseTransactionalTests(vitest: VitestHooks): UseTransactionalTests {
  return <TData = undefined>(dataSource: DataSource, options: TestIsolationOptions<TData> = {}): TransactionalTests<TData> => {
    const { aroundEach } = vitest;
    if (typeof aroundEach !== "function") {
      throw new SharedReplicationError(
        "typeorm-shared-replication/vitest needs Vitest 4.1 or later (its aroundEach hook runs each test inside the test's savepoint): upgrade vitest.",
      );
    }
    const isolation = new TestIsolation(dataSource, options);
    vitest.beforeAll(() => isolation.beginGroup());
    aroundEach.call(vitest, async (runTest, context) => {
      const testId = await isolation.beginTest(context.task.fullTestName ?? context.task.name);
      try {
        await isolation.runInTest(testId, runTest);
      } finally {
        if (context.task.result?.state === "fail") await endTestAfterEach(isolation, testId);
        else await isolation.endTest(testId);
      }
    });
    vitest.afterAll(() => isolation.endGroup());
    return transactionalTests(isolation);
  };
}
