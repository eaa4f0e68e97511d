import type { DataSource } from "typeorm";
import { TestIsolation, type TestIsolationOptions } from "../testing/test-isolation";
import { endTestAfterEach } from "../testing/end-test-after-each";
import type { MochaContext } from "./mocha-globals";
import { wrapCurrentTest } from "./wrap-current-test";

/** Mocha's root hook object (`exports.mochaHooks`). */
export interface TransactionalRootHooks {
  beforeAll(this: MochaContext): Promise<void>;
  beforeEach(this: MochaContext): Promise<void>;
  afterEach(this: MochaContext): Promise<void>;
  afterAll(this: MochaContext): Promise<void>;
}

/**
 * A mocha root-hook plugin that wraps every test of the run in a rolled-back savepoint, inside one
 * transaction for the whole run. Export it as `mochaHooks` from a file listed in `.mocharc.json`'s
 * `require`.
 *
 * @example
 * ```ts
 * // test/root-hooks.ts, with "require": ["ts-node/register", "test/root-hooks.ts"] in .mocharc.json
 * export const mochaHooks = transactionalRootHooks(testDataSource);
 * ```
 */
export function transactionalRootHooks<TData = undefined>(
  dataSource: DataSource,
  options: TestIsolationOptions<TData> = {},
): TransactionalRootHooks {
  const isolation = new TestIsolation(dataSource, options);
  return {
    beforeAll: () => isolation.beginGroup(),
    async beforeEach(this: MochaContext) {
      wrapCurrentTest(this, isolation, await isolation.beginTest(this.currentTest?.title));
    },
    afterEach: () => endTestAfterEach(isolation),
    afterAll: () => isolation.endGroup(),
  };
}
