// The test bootstrap, loaded by mocha before any test file (see .mocharc.json). It swaps the
// application's production DataSource for a SharedReplicationDataSource without touching app code.

// #region bootstrap
import "reflect-metadata";
import { SharedReplicationDataSource, overrideModuleExports } from "typeorm-shared-replication";
import { productionOptions } from "../src/data-source";

// The production options (Postgres, a primary and two replicas) on one in-process connection that
// the primary and both replicas share: PGlite (real Postgres) when installed, else in-memory SQLite.
// Hosts and passwords are never used.
export const testDataSource = new SharedReplicationDataSource(productionOptions);

// createApp(dataSource) gets testDataSource from each test. Modules that import the AppDataSource
// singleton get it too: every module loaded from here on imports testDataSource as AppDataSource.
overrideModuleExports(require.resolve("../src/data-source"), { AppDataSource: testDataSource });
// #endregion bootstrap

// Imported after the region the top-level README shows; it loads no application module.
import { describeEngine } from "./support/engine-of";

// createApp signs its read-your-writes pin cookies with PIN_SECRET (production sets its own).
process.env.PIN_SECRET ??= "sample-app tests: a pin secret of at least 32 characters";

/** Mocha root hooks: one in-memory schema for the whole run, created from the entities. */
export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await testDataSource.initialize();
    // `npm test` runs the suite twice, on PGlite and on SQLite (see README.md): say which this is.
    console.log(`  engine: ${describeEngine(testDataSource)}\n`);
  },
  async afterAll(): Promise<void> {
    // After a failed initialize() there is nothing to close; its error is the one worth reading.
    if (testDataSource.isInitialized) await testDataSource.destroy();
  },
};
