import type { DataSourceOptions, Driver } from "typeorm";
import { standardTransactionDialect, type TransactionDialect } from "../../connection/transaction-dialect";
import { loadDriverPackage } from "../load-driver-package";
import { ServerEngine, type ResolvedServerSettings, type SharedClient } from "../server/server-engine";

interface MysqlPromiseConnection {
  query(sql: string, parameters?: unknown[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
}

interface MysqlPromiseModule {
  createConnection(config: Record<string, unknown>): Promise<MysqlPromiseConnection>;
}

interface PoolConnection {
  release(): void;
}

interface MysqlDriverSurface {
  obtainMasterConnection(): Promise<PoolConnection>;
  obtainSlaveConnection(): Promise<PoolConnection>;
}

const quote = (name: string) => `\`${name.replace(/`/g, "``")}\``;

/** A real MySQL or MariaDB server through `mysql2`. */
export class MysqlEngine extends ServerEngine {
  readonly name: string;
  // MySQL has no BEGIN TRANSACTION.
  readonly dialect: TransactionDialect = { ...standardTransactionDialect, begin: "START TRANSACTION" };
  readonly abortsTransactionOnError = false;
  private readonly mysql2: unknown;
  private readonly mysql2Promise: MysqlPromiseModule;

  constructor(settings: ResolvedServerSettings) {
    super(settings);
    this.name = settings.type;
    this.mysql2 = loadDriverPackage(settings.type, "mysql2");
    this.mysql2Promise = loadDriverPackage<MysqlPromiseModule>(settings.type, "mysql2/promise");
  }

  async emptyTables(execute: (sql: string) => Promise<unknown>, tables: readonly string[]): Promise<void> {
    // TRUNCATE would commit implicitly (it is DDL in MySQL); DELETE stays inside the session transaction.
    await execute("SET FOREIGN_KEY_CHECKS = 0");
    try {
      for (const table of tables) await execute(`DELETE FROM ${table}`);
    } finally {
      await execute("SET FOREIGN_KEY_CHECKS = 1");
    }
  }

  protected driverOptions(): Partial<DataSourceOptions> {
    return { driver: this.mysql2, connectorPackage: "mysql2" } as Partial<DataSourceOptions>;
  }

  protected nativeAcquire(driver: Driver): () => Promise<SharedClient> {
    const obtain = (driver as unknown as MysqlDriverSurface).obtainMasterConnection.bind(driver);
    return async () => {
      const connection = await obtain();
      const release = connection.release.bind(connection);
      // Runners release their connection when done; the shared one goes back to the pool only on close.
      connection.release = () => undefined;
      return { client: connection, release };
    };
  }

  protected routeConnections(driver: Driver, shared: () => Promise<SharedClient>): void {
    const surface = driver as unknown as MysqlDriverSurface;
    surface.obtainMasterConnection = async () => (await shared()).client as PoolConnection;
    surface.obtainSlaveConnection = surface.obtainMasterConnection;
  }

  protected async admin(statements: string[]): Promise<void> {
    const { host, port, username, password } = this.settings;
    const connection = await this.mysql2Promise.createConnection({ host, port, user: username, password });
    try {
      for (const sql of statements) await connection.query(sql);
    } finally {
      await connection.end();
    }
  }

  protected async databaseExists(): Promise<boolean> {
    const { host, port, username, password } = this.settings;
    const connection = await this.mysql2Promise.createConnection({ host, port, user: username, password });
    try {
      const [rows] = await connection.query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [this.database]);
      return (rows as unknown[]).length > 0;
    } finally {
      await connection.end();
    }
  }

  protected createDatabaseSql(): string {
    return `CREATE DATABASE IF NOT EXISTS ${quote(this.database)}`;
  }

  protected dropDatabaseSql(): string {
    return `DROP DATABASE IF EXISTS ${quote(this.database)}`;
  }
}
