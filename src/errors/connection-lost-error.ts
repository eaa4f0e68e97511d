import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown by every statement of a DataSource on a real server once the server closed its
 * connection: the server was restarted, an administrator ended the session
 * (`pg_terminate_backend`, `KILL`), or the network dropped it. Everything the connection held went
 * with it (the session transaction, the test's savepoints, uncommitted rows), so the library does
 * not reconnect behind the tests' back. `destroy()` still works; `initialize()` after it opens a
 * new connection. The process goes on.
 *
 * @example
 * ```ts
 * try {
 *   await repository.count();
 * } catch (error) {
 *   if (error instanceof ConnectionLostError) {
 *     await dataSource.destroy();
 *     await dataSource.initialize();
 *   }
 * }
 * ```
 */
export class ConnectionLostError extends SharedReplicationError {
  /** The test database whose connection was lost. */
  readonly database: string;

  constructor(database: string, cause: unknown) {
    super(
      `The server closed the connection to the test database "${database}"` +
        `${cause instanceof Error && cause.message ? ` (${cause.message})` : ""}. ` +
        `What the connection held is gone with it: the session transaction, the test's savepoints and its uncommitted rows. ` +
        `Destroy the DataSource and initialize it again to open a new connection.`,
      { cause },
    );
    this.database = database;
  }
}
