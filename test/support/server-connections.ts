// Plain connections to the server legs' servers, outside the library: what another process, an
// administrator or a second client would have. Never to any host but 127.0.0.1.
import { serverEngine } from "../../ormconfig.test";
import { sleep } from "./capture-error";

export type TestServerType = "postgres" | "mariadb";

/** A plain client connection of `pg` or `mysql2`. */
export interface PlainConnection {
  /** The server's id of the session: Postgres' backend pid, MariaDB's connection id. */
  readonly id: number;
  query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]>;
  end(): Promise<void>;
  /** Errors the driver reported outside a statement (the server ended the session). */
  readonly errors: unknown[];
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, parameters?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
  on(event: string, listener: (error: unknown) => void): unknown;
}

/**
 * Connects to `database` (the admin database when `undefined`: `postgres`, or none on MariaDB)
 * as the suite's user. `applicationName` names the session on Postgres.
 */
export async function plainConnection(server: TestServerType, database?: string, applicationName?: string): Promise<PlainConnection> {
  const { host, username: user } = serverEngine(server);
  const errors: unknown[] = [];
  if (server === "postgres") {
    // pg ships no types (and @types/pg is not installed): described by PgClient.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require("pg") as { Client: new (config: object) => PgClient };
    const client = new Client({ host, user, database: database ?? "postgres", application_name: applicationName });
    client.on("error", (error) => errors.push(error));
    await client.connect();
    const query = async <T>(sql: string, parameters?: unknown[]) => (await client.query(sql, parameters)).rows as T[];
    const [{ pid }] = await query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    return { id: pid!, query, end: () => client.end().catch(() => undefined), errors };
  }
  const mysql = await import("mysql2/promise");
  const connection = await mysql.createConnection({ host, user, ...(database ? { database } : {}) });
  connection.on("error", (error) => errors.push(error));
  const query = async <T>(sql: string, parameters?: unknown[]) => (await connection.query(sql, parameters))[0] as T[];
  const [{ id }] = await query<{ id: number }>("SELECT CONNECTION_ID() AS id");
  return { id: Number(id), query, end: () => connection.end().catch(() => undefined), errors };
}

/** Runs `fn` on a plain admin connection and closes it. */
export async function withAdmin<T>(server: TestServerType, fn: (admin: PlainConnection) => Promise<T>): Promise<T> {
  const admin = await plainConnection(server);
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

const quote = (server: TestServerType, name: string) => (server === "postgres" ? `"${name}"` : `\`${name}\``);

export async function createDatabase(server: TestServerType, name: string): Promise<void> {
  await withAdmin(server, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${quote(server, name)}`);
    await admin.query(`CREATE DATABASE ${quote(server, name)}`);
  });
}

/** Drops `name`, ending sessions still on it (only ever the test's own). */
export async function dropDatabase(server: TestServerType, name: string): Promise<void> {
  await withAdmin(server, async (admin) => {
    if (server === "postgres") {
      await admin.query(`DROP DATABASE IF EXISTS ${quote(server, name)} WITH (FORCE)`);
      return;
    }
    await killSessions(server, name);
    await admin.query(`DROP DATABASE IF EXISTS ${quote(server, name)}`);
  });
}

/** The ids of the sessions connected to `database` now. */
export async function sessionsOn(server: TestServerType, database: string): Promise<number[]> {
  return withAdmin(server, async (admin) => {
    const rows =
      server === "postgres"
        ? await admin.query<{ id: number }>("SELECT pid AS id FROM pg_stat_activity WHERE datname = $1", [database])
        : await admin.query<{ id: number }>("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ?", [database]);
    return rows.map((row) => Number(row.id));
  });
}

/** Ends session `id`, as an administrator would: `pg_terminate_backend`, `KILL`. */
export async function terminateSession(server: TestServerType, id: number): Promise<void> {
  await withAdmin(server, async (admin) => {
    await admin.query(server === "postgres" ? `SELECT pg_terminate_backend(${id})` : `KILL CONNECTION ${id}`);
  });
}

async function killSessions(server: TestServerType, database: string): Promise<void> {
  for (const id of await sessionsOn(server, database)) await terminateSession(server, id).catch(() => undefined);
}

/** Waits until `condition` holds, polling; fails after `timeoutMs`. */
export async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}
