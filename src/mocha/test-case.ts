import type { DataSource, EntityManager } from "typeorm";
import type { ExpectedQueries } from "../errors/query-assertion-error";
import { SharedReplicationError } from "../errors/shared-replication-error";
import { assertNumQueries, assertQueries, type QueryAssertionOptions } from "../testing/query-assertions";
import type { TestLifecycle } from "../testing/test-lifecycle";
import { endTestAfterEach } from "../testing/end-test-after-each";
import { mochaGlobals } from "./mocha-globals";

/**
 * The static side of a test case class whose tests see `TData` as `this.testData`: its static
 * `setUpTestData`, when it has one, must return that type.
 */
interface TestCaseClass<TData> {
  new (): TestCase<TData>;
  readonly name: string;
  dataSource?: DataSource;
  setUpTestData?(manager: EntityManager): TData | Promise<TData>;
  createLifecycle(dataSource: DataSource, setUpTestData?: (manager: EntityManager) => unknown): TestLifecycle<unknown>;
}

/**
 * The Django `TestCase` shape for mocha, shared by {@link TransactionalTestCase} and
 * {@link TruncatingTestCase}: every method named `test*` (inherited ones included) is a test, run
 * on a new instance with `setUp()` before and `tearDown()` after.
 *
 * `TData` is the type of `this.testData`, what the class's static `setUpTestData` returns. The
 * default value is `unknown`, so a class that reads `this.testData` names it (`extends
 * TransactionalTestCase<{ alice: User }>`), and `register()` checks `setUpTestData` against it: a
 * typo in `this.testData.alcie` fails to compile.
 */
export abstract class TestCase<TData = unknown> {
  /** The DataSource the tests use (a SharedReplicationDataSource). Required: set it in every test class. */
  static dataSource?: DataSource;

  /** The DataSource of this test class (its static `dataSource`). */
  dataSource!: DataSource;
  /** What the class's static `setUpTestData` returned; see the subclass for when it is copied or re-created. */
  testData!: TData;

  /** Runs before each test, inside its isolation. */
  async setUp(): Promise<void> {}

  /** Runs after each test, inside its isolation, even when the test failed. */
  async tearDown(): Promise<void> {}

  /**
   * Runs `fn` and checks it caused exactly `count` statements; see `assertNumQueries`.
   *
   * @throws QueryAssertionError listing every captured statement with its role and replica.
   */
  assertNumQueries<T>(count: number, fn: () => T | Promise<T>, options?: QueryAssertionOptions): Promise<Awaited<T>> {
    return assertNumQueries(this.dataSource, count, fn, options);
  }

  /**
   * Runs `fn` and checks the statements it caused by role; see `assertQueries`.
   *
   * @throws QueryAssertionError listing every captured statement with its role and replica.
   */
  assertQueries<T>(expected: ExpectedQueries, fn: () => T | Promise<T>, options?: QueryAssertionOptions): Promise<Awaited<T>> {
    return assertQueries(this.dataSource, expected, fn, options);
  }

  /** @internal Each subclass supplies its lifecycle. */
  static createLifecycle(_dataSource: DataSource, _setUpTestData?: (manager: EntityManager) => unknown): TestLifecycle<unknown> {
    throw new SharedReplicationError("Extend TransactionalTestCase or TruncatingTestCase, not TestCase.");
  }

  /**
   * Defines `describe(<class name>)` with one `it()` per `test*` method. Call it once after the
   * class, in a file mocha loads.
   */
  static register<TData>(this: TestCaseClass<TData>): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the class itself is what the hooks and tests close over
    const Case = this;
    const { describe, it, before, after, afterEach } = mochaGlobals(`${Case.name}.register()`);
    describe(Case.name, () => {
      let lifecycle: TestLifecycle<unknown> | undefined;
      before(async () => {
        if (!Case.dataSource) {
          throw new SharedReplicationError(`${Case.name}.dataSource is not set: add "static dataSource = testDataSource;" to the class.`);
        }
        const setUpTestData = typeof Case.setUpTestData === "function" ? Case.setUpTestData.bind(Case) : undefined;
        lifecycle = Case.createLifecycle(Case.dataSource, setUpTestData);
        await lifecycle.beginGroup();
      });
      // A test that timed out is still running; end its isolation so the next test starts clean.
      afterEach(() => endTestAfterEach(lifecycle));
      after(() => lifecycle?.endGroup());
      const methods = testMethodNames(Case);
      if (methods.length === 0) {
        process.emitWarning(
          `typeorm-shared-replication: ${Case.name}.register() found no test methods: name each test method "test…" (for example testCreatesOrder).`,
          { code: "TYPEORM_SHARED_REPLICATION_NO_TESTS" },
        );
      }
      for (const method of methods) {
        it(method, () => runTest(Case, method, lifecycle!));
      }
    });
  }
}

async function runTest<TData>(Case: TestCaseClass<TData>, method: string, lifecycle: TestLifecycle<unknown>): Promise<void> {
  const testId = await lifecycle.beginTest(`${Case.name}.${method}`);
  const instance = new Case() as TestCase<TData> & Record<string, () => unknown>;
  instance.dataSource = Case.dataSource!;
  // The lifecycle holds what this class's setUpTestData returned, which register() typed as TData.
  instance.testData = lifecycle.testData as TData;
  let failure: { error: unknown } | undefined;
  try {
    await lifecycle.runInTest(testId, async () => {
      await instance.setUp();
      try {
        await instance[method]!();
      } finally {
        await instance.tearDown();
      }
    });
    await lifecycle.assertNoLeaks(testId);
  } catch (error) {
    failure = { error };
  }
  try {
    await lifecycle.endTest(testId);
  } catch (error) {
    failure ??= { error };
  }
  if (failure) throw failure.error;
}

/** `test*` methods of the class and its ancestors, ancestors' first, each name once. */
function testMethodNames(Case: TestCaseClass<unknown>): string[] {
  const chain: object[] = [];
  for (let proto = Case.prototype as object; proto && proto !== TestCase.prototype; proto = Object.getPrototypeOf(proto))
    chain.unshift(proto);
  const names: string[] = [];
  for (const proto of chain) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
      if (name.startsWith("test") && typeof descriptor.value === "function" && !names.includes(name)) names.push(name);
    }
  }
  return names;
}
