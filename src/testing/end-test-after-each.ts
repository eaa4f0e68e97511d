import { TestLeakError } from "../errors/test-leak-error";
import type { TestLifecycle } from "./test-lifecycle";

/**
 * The after-each step of the test-framework adapters. A test that completed was already checked
 * for leaks at the end of its own body; one that reaches here still open failed or timed out, so
 * its leftovers are rolled back without a second report on top of the test's own failure (and,
 * under mocha, without making the runner skip the rest of the suite).
 *
 * @param testId the id `beginTest()` returned; the default value is the current test.
 */
export async function endTestAfterEach(lifecycle: TestLifecycle<unknown> | undefined, testId?: number): Promise<void> {
  try {
    await lifecycle?.endTest(testId);
  } catch (error) {
    if (!(error instanceof TestLeakError)) throw error;
  }
}
