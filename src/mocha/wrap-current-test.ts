import type { TestLifecycle } from "../testing/test-lifecycle";
import { wrapTestFunction } from "../testing/wrap-test-function";
import type { MochaContext } from "./mocha-globals";

/**
 * Makes mocha's test about to run execute its body in the test's async scope and check for leaks
 * at its end (see `wrapTestFunction`): a failure of the check fails the test itself, where an
 * after-each hook failure would make mocha skip the rest of the suite.
 */
export function wrapCurrentTest(context: MochaContext, lifecycle: TestLifecycle<unknown>, testId: number): void {
  wrapTestFunction(context.currentTest, lifecycle, testId);
}

/** Mocha's hook objects, as far as {@link runAfterEachHooksLast} reads them. */
interface MochaSuiteHooks {
  _afterEach?: { fn?: unknown }[];
}

/**
 * Moves the after-each hook whose function is `fn` to the end of its suite's after-each hooks.
 * Mocha runs a suite's after-each hooks in the order they were registered, so hooks the
 * application registers after the library's would otherwise run after the test's rollback, and
 * their writes would land in the next test. Called from the suite's before-all hook, when every
 * hook of the suite is registered. If mocha's shape is not what this expects, nothing moves.
 */
export function runAfterEachHooksLast(context: MochaContext, fn: unknown): void {
  const hooks = (context.test?.parent as MochaSuiteHooks | undefined)?._afterEach;
  if (!Array.isArray(hooks)) return;
  const index = hooks.findIndex((hook) => hook?.fn === fn);
  if (index < 0 || index === hooks.length - 1) return;
  hooks.push(...hooks.splice(index, 1));
}
