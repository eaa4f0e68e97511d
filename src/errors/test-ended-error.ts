import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown for a statement issued by a test that has already ended: a promise the test did not
 * await, or a test that timed out and went on running. The statement did not run, so nothing of
 * that test lands in the one running now. Await every piece of work a test starts.
 *
 * @example
 * ```ts
 * it("saves in the background", async () => {
 *   void repository.save(order); // not awaited: if it runs after the test ended, it fails with TestEndedError
 * });
 * ```
 */
export class TestEndedError extends SharedReplicationError {
  /** The id of the test the statement came from (the one `beginTest()` returned). */
  readonly testId: number;
  /** The test's title, when the test-framework adapter knows it. */
  readonly testTitle: string | undefined;

  constructor(testId: number, testTitle: string | undefined, sql: string) {
    const test = testTitle === undefined ? `test #${testId}` : `test #${testId} ("${testTitle}")`;
    super(
      `A statement of ${test} was issued after that test ended, and did not run: ${sql.length > 200 ? `${sql.slice(0, 200)}…` : sql}\n` +
        `Work a test starts and does not await (or a test that timed out) must not run inside the next test. Await it before the test ends.`,
    );
    this.testId = testId;
    this.testTitle = testTitle;
  }
}
