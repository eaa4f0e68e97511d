import type { TestLifecycle } from "./test-lifecycle";

/** A test body as mocha and Jest call it: with a `done` callback, or returning a promise. */
export type TestFunction = ((this: unknown) => unknown) | ((this: unknown, done: (error?: unknown) => void) => unknown);

/** A runner's record of one test, whose `fn` it calls after the before-each hooks (mocha's `Test`, jest-circus's `TestEntry`). */
export interface TestWithFunction {
  fn?: TestFunction | undefined;
}

const ORIGINAL = Symbol("typeorm-shared-replication:original-test-fn");

/**
 * Makes the test about to run execute its body in the test's async scope, then check for leaks,
 * both for test `testId` alone: a failure of the check fails the test itself rather than an
 * after-each hook, and a test that timed out and finishes late checks nothing of the test running
 * by then. Keeps the body's arity, so `done`-style tests still work, and re-wraps the original on
 * retries.
 */
export function wrapTestFunction(test: TestWithFunction | undefined, lifecycle: TestLifecycle<unknown>, testId: number): void {
  if (!test?.fn) return;
  const original = ((test.fn as unknown as Record<symbol, TestFunction>)[ORIGINAL] ?? test.fn) as TestFunction;
  const check = () => lifecycle.assertNoLeaks(testId);
  const wrapped =
    original.length > 0
      ? function (this: unknown, done: (error?: unknown) => void) {
          lifecycle.runInTest(testId, () =>
            (original as (this: unknown, done: (error?: unknown) => void) => unknown).call(this, (error?: unknown) => {
              if (error) done(error);
              else check().then(() => done(), done);
            }),
          );
        }
      : async function (this: unknown) {
          await lifecycle.runInTest(testId, () => (original as (this: unknown) => unknown).call(this));
          await check();
        };
  Object.defineProperty(wrapped, ORIGINAL, { value: original });
  test.fn = wrapped;
}
