/**
 * What a test-framework adapter drives: a group of tests with setup data, and each test in it.
 * {@link TestIsolation} (rollback) and {@link TruncatingTestLifecycle} (real commits, tables
 * emptied) implement it.
 */
export interface TestLifecycle<TData> {
  /** What `setUpTestData` returned, as the current test sees it. */
  readonly testData: TData;
  beginGroup(): Promise<void>;
  /** @returns the test's id, for `runInTest(id, body)`, `assertNoLeaks(id)` and `endTest(id)`. */
  beginTest(title?: string): Promise<number>;
  /** Runs the test's body in its async scope; see {@link TestIsolation.runInTest}. */
  runInTest<T>(testId: number, body: () => T): T;
  /** Checks at the end of the test body; see {@link TestIsolation.assertNoLeaks}. */
  assertNoLeaks(testId?: number): Promise<void>;
  endTest(testId?: number): Promise<void>;
  endGroup(): Promise<void>;
}
