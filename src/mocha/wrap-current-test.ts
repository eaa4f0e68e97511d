import type { TestLifecycle } from "../testing/test-lifecycle";
import type { MochaContext, MochaTestFunction } from "./mocha-globals";

const ORIGINAL = Symbol("typeorm-shared-replication:original-test-fn");

/**
 * Makes the test about to run execute its body in the test's async scope, then check for leaks,
 * both for test `testId` alone: a failure of the check fails the test itself (an after-each hook
 * failure would make mocha skip the rest of the suite), and a test that timed out and finishes
 * late checks nothing of the test running by then. Keeps the body's arity, so `done`-style tests
 * still work, and re-wraps the original on retries.
 */
export function wrapCurrentTest(context: MochaContext, lifecycle: TestLifecycle<unknown>, testId: number): void {
  const test = context.currentTest;
  if (!test?.fn) return;
  const original = ((test.fn as unknown as Record<symbol, MochaTestFunction>)[ORIGINAL] ?? test.fn) as MochaTestFunction;
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
