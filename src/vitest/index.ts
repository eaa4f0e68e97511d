// The entry point of `typeorm-shared-replication/vitest`: the Vitest adapter. Vitest's API is ES
// modules only, so the build ships this file as an ES module (see scripts/build.mjs); the package
// root does not import it, so mocha users never load Vitest.
import * as vitest from "vitest";
import { createUseTransactionalTests, type UseTransactionalTests } from "./create-use-transactional-tests.js";

/**
 * Installs Vitest hooks in the current `describe` block (or, called at the top of a test file or of
 * a `setupFiles` file, around every test of the file): one transaction for the block
 * (`setUpTestData` runs inside it), one savepoint per test, rolled back after it. Each test runs
 * in its async scope (Vitest's `aroundEach`, so your `beforeEach` and `afterEach` hooks run inside
 * the savepoint too), so work it leaves running fails with `TestEndedError` once the test ended; a
 * test that leaves a runner unreleased or a transaction open fails with `TestLeakError`, reported
 * once, in that test, never on top of its own failure. Needs Vitest 4.1 or later. Same signature
 * and handle as the mocha `useTransactionalTests`.
 *
 * @example
 * ```ts
 * import { it } from "vitest";
 * import { useTransactionalTests } from "typeorm-shared-replication/vitest";
 *
 * const tests = useTransactionalTests(testDataSource, {
 *   setUpTestData: async (manager) => ({ alice: await manager.save(User, { name: "alice" }) }),
 * });
 * it("renames", async () => {
 *   await service.rename(tests.testData.alice.id, "bob");
 * });
 * ```
 */
export const useTransactionalTests: UseTransactionalTests = createUseTransactionalTests(vitest);

export type { TransactionalTests } from "../testing/transactional-tests.js";
export type { TestIsolationOptions } from "../testing/test-isolation.js";
