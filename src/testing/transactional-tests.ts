import type { TestIsolation } from "./test-isolation";

/**
 * What `useTransactionalTests` returns, under every test runner (mocha, Jest, Vitest): access to
 * the current test's data.
 */
export interface TransactionalTests<TData> {
  /** What `setUpTestData` returned, as a deep copy made for the current test. */
  readonly testData: TData;
  /** The underlying framework-neutral lifecycle. */
  readonly isolation: TestIsolation<TData>;
}

/** The handle every adapter's `useTransactionalTests` returns. */
export function transactionalTests<TData>(isolation: TestIsolation<TData>): TransactionalTests<TData> {
  return {
    get testData() {
      return isolation.testData;
    },
    isolation,
  };
}
