import { DataSource, type DataSourceOptions } from "typeorm";
import { SharedReplicationDataSource, type ServerEngineSettings, type SharedReplicationSettings } from "../../src";
import { benchEntities } from "./bench-schema";

/** Where a strategy runs: in-memory SQLite, PGlite (Postgres in process), or the machine's PostgreSQL. */
export type BenchEngine = "sqlite" | "pglite" | "postgres";

/** The application as production runs it: Postgres, one master and two replicas. Never connected to. */
export const productionOptions: DataSourceOptions = {
  type: "postgres",
  entities: benchEntities,
  replication: {
    master: { host: "primary.db.internal", username: "app", password: "secret", database: "shop" },
    slaves: [
      { host: "replica-1.db.internal", username: "app", password: "secret", database: "shop" },
      { host: "replica-2.db.internal", username: "app", password: "secret", database: "shop" },
    ],
  },
};

/** The machine's PostgreSQL (trust auth). */
export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** The base name: the library's engine runs in `test_<database>`, which it creates itself. */
  readonly database: string;
}

const TEST_PREFIX = "test_";

/** The test database the library's engine creates and uses for `server`. */
export function testDatabaseOf(server: PostgresServer): string {
  return server.database.startsWith(TEST_PREFIX) ? server.database : `${TEST_PREFIX}${server.database}`;
}

export function serverEngineSettings(server: PostgresServer): ServerEngineSettings {
  return { type: "postgres", host: server.host, port: server.port, username: server.username, database: server.database };
}

/** The library's DataSource for the benchmark's application. */
export function sharedDataSource(
  engine: BenchEngine,
  server: PostgresServer | undefined,
  settings: SharedReplicationSettings = {},
): SharedReplicationDataSource {
  // Pinned: with PGlite installed, a Postgres application's default engine is PGlite.
  if (engine === "sqlite") return new SharedReplicationDataSource(productionOptions, { engine: "sqlite3", ...settings });
  if (engine === "pglite") return new SharedReplicationDataSource(productionOptions, { engine: "pglite", ...settings });
  if (!server) throw new Error("The Postgres strategies need a server.");
  return new SharedReplicationDataSource(productionOptions, { ...settings, engine: serverEngineSettings(server) });
}

/**
 * TypeORM's own DataSource with no library: in-memory SQLite (schema synchronised), or the
 * library's test database on Postgres, whose schema the library created. The test database guard
 * is applied here too: only a `test_` database is ever connected to.
 */
export function plainDataSource(engine: BenchEngine, server: PostgresServer | undefined): DataSource {
  if (engine === "sqlite") return new DataSource({ type: "sqlite", database: ":memory:", entities: benchEntities, synchronize: true });
  if (engine === "pglite") throw new Error("PGlite is measured through the library only (strategy 1).");
  if (!server) throw new Error("The Postgres strategies need a server.");
  const database = testDatabaseOf(server);
  if (!database.startsWith(TEST_PREFIX)) throw new Error(`Refusing to connect to ${database}: not a test database.`);
  return new DataSource({
    type: "postgres",
    host: server.host,
    port: server.port,
    username: server.username,
    database,
    entities: benchEntities,
  });
}
