import type { MochaContext, MochaTestFunction } from "./mocha-globals";

const ORIGINAL = Symbol("typeorm-shared-replication:original-test-fn");

/**
 * Makes the test about to run call `check` after its body, so a failure of `check` fails the test
 * itself. (An after-each hook failure would make mocha skip the rest of the suite.) Keeps the
 * body's arity, so `done`-style tests still work, and re-wraps the original on retries.
 */
export function checkAfterCurrentTest(context: MochaContext, check: () => Promise<void>): void {
  const test = context.currentTest;
  if (!test?.fn) return;
  const original = ((test.fn as unknown as Record<symbol, MochaTestFunction>)[ORIGINAL] ?? test.fn) as MochaTestFunction;
  const wrapped =
    original.length > 0
      ? function (this: unknown, done: (error?: unknown) => void) {
          (original as (this: unknown, done: (error?: unknown) => void) => unknown).call(this, (error?: unknown) => {
            if (error) done(error);
            else check().then(() => done(), done);
          });
        }
      : async function (this: unknown) {
          await (original as (this: unknown) => unknown).call(this);
          await check();
        };
  Object.defineProperty(wrapped, ORIGINAL, { value: original });
  test.fn = wrapped;
}
