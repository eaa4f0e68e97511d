import type { DataSource, EntityManager } from "typeorm";
import { TestIsolation } from "../testing/test-isolation";
import type { TestLifecycle } from "../testing/test-lifecycle";
import { TestCase } from "./test-case";

/**
 * A mocha test class whose every test runs in a savepoint that is rolled back (Django's
 * `TestCase`). Static `setUpTestData(manager)` runs once per class inside the class's transaction;
 * each test gets a fresh deep copy of what it returned as `this.testData` (entities stay
 * entities), and its rows are restored after each test. `TData` is that value's type (see
 * `TestCase`): name it to read `this.testData`. Application transactions inside a test
 * behave as in production; none of their work survives the test. A test that leaves a runner
 * unreleased or a transaction open fails with `TestLeakError`.
 *
 * @example
 * ```ts
 * class UserServiceTest extends TransactionalTestCase<{ alice: User }> {
 *   static dataSource = testDataSource;
 *   static async setUpTestData(manager: EntityManager) {
 *     return { alice: await manager.save(User, { name: "alice" }) };
 *   }
 *   async testRenamesUser() {
 *     this.testData.alice.name = "bob";
 *     await this.dataSource.getRepository(User).save(this.testData.alice);
 *   }
 * }
 * UserServiceTest.register();
 * ```
 */
export class TransactionalTestCase<TData = unknown> extends TestCase<TData> {
  static override createLifecycle(dataSource: DataSource, setUpTestData?: (manager: EntityManager) => unknown): TestLifecycle<unknown> {
    return new TestIsolation(dataSource, { setUpTestData });
  }
}
