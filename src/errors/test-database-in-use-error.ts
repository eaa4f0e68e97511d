import { SharedReplicationError } from "./shared-replication-error";

/** A session another client has open on a test database, as the server reports it. */
export interface DatabaseSession {
  /** The server's id of the session: Postgres' backend pid, MySQL's connection id. */
  readonly id: number;
  /** The user the session logged in as. */
  readonly user: string | undefined;
  /** The client's `application_name` (Postgres); `undefined` where the server has none (MySQL, MariaDB). */
  readonly applicationName: string | undefined;
  /** Where the client connects from: an address and port, or `undefined` for a Unix socket. */
  readonly clientAddress: string | undefined;
}

/**
 * Thrown instead of dropping a test database that another client is using: before the test
 * database is dropped and recreated (on first use in a process, unless `keepDatabase`) or dropped
 * on destroy (`dropDatabase`), the server is asked for other sessions on it. Dropping it would end
 * someone else's run, or their work. Nothing was dropped.
 *
 * Stop the other client, keep the database (`keepDatabase: true`), give this run another test
 * database (`database`, or `testDatabasePrefix`), or, when the sessions are known to be stale, let
 * the library end them (`forceDrop: true`).
 *
 * @example
 * ```ts
 * try {
 *   await dataSource.initialize();
 * } catch (error) {
 *   if (error instanceof TestDatabaseInUseError) console.error(error.database, error.sessions);
 *   throw error;
 * }
 * ```
 */
export class TestDatabaseInUseError extends SharedReplicationError {
  /** The test database that was not dropped. */
  readonly database: string;
  /** The other sessions on it, as the server reported them. */
  readonly sessions: readonly DatabaseSession[];

  constructor(database: string, sessions: readonly DatabaseSession[], cause?: unknown) {
    const listed = sessions.map((session) => `- ${describeSession(session)}`).join("\n");
    super(
      `Refusing to drop the test database "${database}": ${sessions.length === 0 ? "another client is using it" : `${sessions.length} other session(s) use it`}, ` +
        `and dropping it would end their work.${listed ? `\n${listed}` : ""}\n` +
        `Stop that client, or set keepDatabase: true to use the database as it is, or give this run another database ` +
        `(the engine's database setting), or set forceDrop: true to end those sessions and drop it anyway.`,
      cause === undefined ? undefined : { cause },
    );
    this.database = database;
    this.sessions = sessions;
  }
}

function describeSession(session: DatabaseSession): string {
  const parts = [`session ${session.id}`];
  if (session.applicationName) parts.push(`application "${session.applicationName}"`);
  if (session.user) parts.push(`user "${session.user}"`);
  parts.push(session.clientAddress ? `from ${session.clientAddress}` : "from a local socket");
  return parts.join(", ");
}
