import type { DataSource, EntityManager } from "typeorm";
import type { TestLifecycle } from "../testing/test-lifecycle";
import { TruncatingTestLifecycle } from "../testing/truncating-test-lifecycle";
import { TestCase } from "./test-case";

/**
 * Same shape as {@link TransactionalTestCase}, for tests that need real commits (Django's
 * `TransactionTestCase`): nothing is rolled back; after each test every table is emptied
 * (foreign-key safe, sequences reset) and static `setUpTestData` runs again before the next test.
 * Much slower than rolling back: use it only where a test must observe a real COMMIT.
 *
 * @example
 * ```ts
 * class OutboxTest extends TruncatingTestCase {
 *   static dataSource = testDataSource;
 *   async testPublishesAfterCommit() { … }
 * }
 * OutboxTest.register();
 * ```
 */
export class TruncatingTestCase<TData = unknown> extends TestCase<TData> {
  static override createLifecycle(dataSource: DataSource, setUpTestData?: (manager: EntityManager) => unknown): TestLifecycle<unknown> {
    return new TruncatingTestLifecycle(dataSource, { setUpTestData });
  }
}
