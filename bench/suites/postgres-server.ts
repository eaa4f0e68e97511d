import { sharedDataSource, testDatabaseOf, type PostgresServer } from "../workload/bench-data-sources";

// The pg package has no bundled types; this is all the benchmark uses of it.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
type PgModule = { Client: new (config: Record<string, unknown>) => PgClient };

/** The machine's PostgreSQL: 127.0.0.1:5432, user postgres, trust auth; `BENCH_PG_HOST` / `BENCH_PG_PORT` override. */
export function localPostgres(database: string): PostgresServer {
  return {
    host: process.env.BENCH_PG_HOST ?? "127.0.0.1",
    port: Number(process.env.BENCH_PG_PORT ?? 5432),
    username: process.env.BENCH_PG_USER ?? "postgres",
    database,
  };
}

async function onAdminConnection<T>(server: PostgresServer, work: (client: PgClient) => Promise<T>): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require("pg") as PgModule;
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.username,
    database: "postgres",
    connectionTimeoutMillis: 3000,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The server's version, or why it cannot be used (the Postgres suite is then skipped). */
export async function probePostgres(server: PostgresServer): Promise<{ version: string } | { unavailable: string }> {
  if (process.env.BENCH_POSTGRES === "off") return { unavailable: "BENCH_POSTGRES=off" };
  try {
    const version = await onAdminConnection(server, async (client) => (await client.query("SHOW server_version")).rows[0]!.server_version);
    return { version: String(version) };
  } catch (error) {
    return { unavailable: `no server at ${server.host}:${server.port} (${(error as Error).message})` };
  }
}

/**
 * Lets the library's engine create the test database and its schema (it drops and recreates
 * `test_<name>` once per process), so the plain-TypeORM floor finds them whatever runs first.
 */
export async function prepareTestDatabase(server: PostgresServer): Promise<void> {
  const dataSource = sharedDataSource("postgres", server);
  await dataSource.initialize();
  await dataSource.destroy();
}

/** Drops the smoke run's own test database; only ever a `test_` one. */
export async function dropTestDatabase(server: PostgresServer): Promise<void> {
  const database = testDatabaseOf(server);
  if (!database.startsWith("test_")) throw new Error(`Refusing to drop ${database}: not a test database.`);
  await onAdminConnection(server, (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
}
