import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when a SharedReplicationDataSource is used after `destroy()`: a statement through one of
 * its runners, a statement that was waiting for the connection when it closed, or the test
 * harness's own work. Initialize it again, or destroy it only after the test harness's last hook
 * (for example, close a NestJS app in an `after` hook registered after the library's hooks).
 */
export class DataSourceDestroyedError extends SharedReplicationError {
  constructor(what: string) {
    super(
      `${what}, but the SharedReplicationDataSource was destroyed. Call initialize() again before using it, ` +
        `and destroy it only after the test harness's last hook has run (register the hook that destroys it, ` +
        `such as a NestJS app.close(), after useTransactionalTests or transactionalRootHooks).`,
    );
  }
}
