import type { DataSourceOptions, Driver } from "typeorm";
import { standardTransactionDialect } from "../../connection/transaction-dialect";
import { loadDriverPackage } from "../load-driver-package";
import { ServerEngine, type ResolvedServerSettings, type SharedClient } from "../server/server-engine";

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, parameters?: unknown[]): Promise<{ rowCount: number | null }>;
  end(): Promise<void>;
  setMaxListeners?(count: number): void;
}

interface PgModule {
  Client: new (config: Record<string, unknown>) => PgClient;
}

type PoolRelease = (error?: unknown) => void;

interface PostgresDriverSurface {
  obtainMasterConnection(): Promise<[unknown, PoolRelease]>;
  obtainSlaveConnection(): Promise<[unknown, PoolRelease]>;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A real PostgreSQL server through `pg`. */
export class PostgresEngine extends ServerEngine {
  readonly name = "postgres";
  readonly dialect = standardTransactionDialect;
  readonly abortsTransactionOnError = true;
  private readonly pg: PgModule;

  constructor(settings: ResolvedServerSettings) {
    super(settings);
    this.pg = loadDriverPackage<PgModule>("postgres", "pg");
  }

  async emptyTables(execute: (sql: string) => Promise<unknown>, tables: readonly string[]): Promise<void> {
    if (tables.length > 0) await execute(`TRUNCATE ${tables.join(", ")} RESTART IDENTITY CASCADE`);
  }

  protected driverOptions(): Partial<DataSourceOptions> {
    return { driver: this.pg } as Partial<DataSourceOptions>;
  }

  protected nativeAcquire(driver: Driver): () => Promise<SharedClient> {
    const obtain = (driver as unknown as PostgresDriverSurface).obtainMasterConnection.bind(driver);
    return async () => {
      const [client, release] = await obtain();
      // Every runner adds an "error" listener while it is connected; they all share this client.
      (client as PgClient).setMaxListeners?.(0);
      return { client, release: () => release() };
    };
  }

  protected routeConnections(driver: Driver, shared: () => Promise<SharedClient>): void {
    const surface = driver as unknown as PostgresDriverSurface;
    surface.obtainMasterConnection = async () => [(await shared()).client, () => undefined];
    surface.obtainSlaveConnection = surface.obtainMasterConnection;
  }

  protected async admin(statements: string[]): Promise<void> {
    const { host, port, username, password, adminDatabase } = this.settings;
    const client = new this.pg.Client({ host, port, user: username, password, database: adminDatabase });
    await client.connect();
    try {
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.end();
    }
  }

  protected async databaseExists(): Promise<boolean> {
    const { host, port, username, password, adminDatabase } = this.settings;
    const client = new this.pg.Client({ host, port, user: username, password, database: adminDatabase });
    await client.connect();
    try {
      return ((await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [this.database])).rowCount ?? 0) > 0;
    } finally {
      await client.end();
    }
  }

  protected createDatabaseSql(): string {
    return `CREATE DATABASE ${quote(this.database)}`;
  }

  // FORCE (PostgreSQL 13+) ends sessions a killed test process may have left behind.
  protected dropDatabaseSql(): string {
    return `DROP DATABASE IF EXISTS ${quote(this.database)} WITH (FORCE)`;
  }
}
