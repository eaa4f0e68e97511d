import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when a statement is sent through a SharedReplicationDataSource that was never initialized.
 * Call `await dataSource.initialize()` first; the test harnesses (`TestIsolation.beginGroup()`,
 * `useTransactionalTests`, `TransactionalTestCase`) do it for you in their before-all step.
 */
export class DataSourceNotInitializedError extends SharedReplicationError {
  constructor(what: string) {
    super(
      `${what} before the SharedReplicationDataSource was initialized. Call await dataSource.initialize() first, ` +
        `or let the test harness do it (TestIsolation.beginGroup(), useTransactionalTests, TransactionalTestCase).`,
    );
  }
}
