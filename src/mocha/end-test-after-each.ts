import { TestLeakError } from "../errors/test-leak-error";
import type { TestLifecycle } from "../testing/test-lifecycle";

/**
 * The after-each step of the mocha adapters. A test that completed was already checked for leaks
 * in its own body; one that reaches here still open failed or timed out, so its leftovers are
 * rolled back without a second report (and without making mocha skip the rest of the suite).
 */
export async function endTestAfterEach(lifecycle: TestLifecycle<unknown> | undefined): Promise<void> {
  try {
    await lifecycle?.endTest();
  } catch (error) {
    if (!(error instanceof TestLeakError)) throw error;
  }
}
