import type { GuardCase } from "../fixtures/guard-cases";

/** The dialect a read-only session speaks: Postgres (a server or PGlite), or MySQL/MariaDB. */
export type SessionFamily = "postgres" | "mysql";

/** What the session did with a case: ran it, refused it as a write, or failed it for another reason. */
export type Outcome = "read" | "write" | `error: ${string}`;

/** A plain connection to the database (`pg`, `mysql2`, or a PGlite instance; never the library's): the session's own. */
export interface Connection {
  query(sql: string, parameters?: readonly unknown[]): Promise<unknown[]>;
  end(): Promise<void>;
}

interface DriverError {
  readonly code?: string;
  readonly errno?: number;
  readonly message?: string;
}

/** The error a read-only session answers a write with: Postgres' SQLSTATE 25006, MySQL/MariaDB's 1792. */
function isReadOnlyRefusal(family: SessionFamily, { code, errno }: DriverError): boolean {
  return family === "postgres" ? code === "25006" : errno === 1792;
}

/**
 * A session that refuses writes as a replica's would: Postgres with
 * `default_transaction_read_only = on`, MySQL/MariaDB with `SET SESSION TRANSACTION READ ONLY`.
 * Before each case the session is reset (Postgres' DISCARD ALL; a new MySQL/MariaDB session), so
 * no case sees another's state.
 */
export class ReadOnlySession {
  private constructor(
    private readonly family: SessionFamily,
    private readonly connect: () => Promise<Connection>,
    private connection: Connection,
  ) {}

  /**
   * `connect` opens a connection to the session's database: once for Postgres, whose session
   * DISCARD ALL resets, and again before each case for MySQL/MariaDB.
   */
  static async open(family: SessionFamily, connect: () => Promise<Connection>): Promise<ReadOnlySession> {
    const session = new ReadOnlySession(family, connect, await connect());
    await session.reset([]);
    return session;
  }

  async isReadOnly(): Promise<boolean> {
    const sql = this.family === "postgres" ? "SELECT current_setting('transaction_read_only') AS on" : "SELECT @@tx_read_only AS `on`";
    const [row] = (await this.connection.query(sql)) as { on: string | number }[];
    return row!.on === "on" || Number(row!.on) === 1;
  }

  /** Runs `c` as the replica would get it, in a session reset for it. */
  async run(c: GuardCase): Promise<Outcome> {
    try {
      await this.reset(c.setUp ?? []);
      if (c.inTransaction) await this.connection.query(this.family === "postgres" ? "BEGIN" : "START TRANSACTION");
      for (const sql of c.before ?? []) await this.connection.query(sql);
    } catch (error) {
      return `error: the statements before it failed: ${(error as DriverError).message}`;
    }
    try {
      await this.connection.query(c.sql, c.parameters);
      return "read";
    } catch (error) {
      const driverError = error as DriverError;
      if (isReadOnlyRefusal(this.family, driverError)) return "write";
      return `error: ${driverError.code ?? driverError.errno} ${driverError.message}`;
    }
  }

  /** A session as the last case left it no more: then `setUp`, then read-only. */
  private async reset(setUp: readonly string[]): Promise<void> {
    await this.connection.query("ROLLBACK").catch(() => undefined);
    if (this.family === "postgres") {
      await this.connection.query("DISCARD ALL");
      // A temporary table of the session's own, which a read-only session may still write.
      await this.connection.query("CREATE TEMP TABLE scratch (id int)");
      for (const sql of setUp) await this.connection.query(sql);
      await this.connection.query("SET default_transaction_read_only = on");
    } else {
      // A fresh session: user variables, temporary tables, prepared statements and locks are gone.
      await this.connection.end();
      this.connection = await this.connect();
      await this.connection.query("CREATE TEMPORARY TABLE scratch (id int)");
      for (const sql of setUp) await this.connection.query(sql);
      await this.connection.query("SET SESSION TRANSACTION READ ONLY");
    }
  }

  async close(): Promise<void> {
    await this.connection.end();
  }
}

/** A read-only session, and what it did with each case of its family that is sent to a real database. */
export class Oracle {
  private session: ReadOnlySession | undefined;
  readonly outcomes = new Map<GuardCase, Outcome>();

  constructor(readonly cases: readonly GuardCase[]) {}

  /** Runs every case on `session` but those never sent to a real database. */
  async ask(session: ReadOnlySession): Promise<void> {
    this.session = session;
    // Checked first: a write the session ran would change what the next cases see (and PGlite spins on COPY FROM STDIN).
    if (!(await session.isReadOnly())) throw new Error("The oracle's session does not refuse writes: no case was sent");
    for (const c of this.cases) if (!c.notSent) this.outcomes.set(c, await session.run(c));
  }

  isReadOnly(): Promise<boolean> {
    if (!this.session) throw new Error("The oracle's session never opened");
    return this.session.isReadOnly();
  }

  async close(): Promise<void> {
    await this.session?.close();
  }
}
