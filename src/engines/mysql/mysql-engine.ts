import type { DataSourceOptions, Driver, QueryRunner } from "typeorm";
import { standardTransactionDialect, type TransactionDialect } from "../../connection/transaction-dialect";
import type { DatabaseSession } from "../../errors/test-database-in-use-error";
import { UnsafeTestDatabaseError } from "../../errors/unsafe-test-database-error";
import { loadDriverPackage } from "../load-driver-package";
import { runOnMysqlConnection } from "../run-control";
import {
  ServerEngine,
  type AdminConnection,
  type ConnectGuard,
  type ResolvedServerSettings,
  type SharedClient,
} from "../server/server-engine";

type Listener = (...args: unknown[]) => void;

interface MysqlPromiseConnection {
  query(sql: string, parameters?: unknown[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
  on(event: string, listener: Listener): unknown;
}

interface MysqlPromiseModule {
  createConnection(config: Record<string, unknown>): Promise<MysqlPromiseConnection>;
}

interface PoolConnection {
  query(sql: string, callback: (error: unknown, rows?: unknown) => void): unknown;
  release(): void;
  destroy(): void;
  on(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
}

/** What `mysql2` resolved from the pool's options (its `uri` included). */
interface ConnectionConfig {
  readonly database?: string;
  readonly host?: string;
  readonly port?: number;
  readonly socketPath?: string;
}

interface Mysql2Pool {
  readonly config: { readonly connectionConfig: ConnectionConfig };
  getConnection(callback: (error: unknown, connection?: PoolConnection) => void): void;
  end(callback?: (error?: unknown) => void): unknown;
}

interface Mysql2Module {
  createPool(config: Record<string, unknown>): Mysql2Pool;
}

interface MysqlDriverSurface {
  obtainMasterConnection(): Promise<PoolConnection>;
  obtainSlaveConnection(): Promise<PoolConnection>;
}

const quote = (name: string) => `\`${name.replace(/`/g, "``")}\``;

// ER_LOCK_WAIT_TIMEOUT: DROP DATABASE waited for another session's metadata lock.
const LOCK_WAIT_TIMEOUT = 1205;
// Seconds DROP DATABASE may wait for another session's metadata lock (MySQL would wait a year).
const DROP_LOCK_WAIT_SECONDS = 5;

/** A real MySQL or MariaDB server through `mysql2`. */
export class MysqlEngine extends ServerEngine {
  readonly name: string;
  // MySQL has no BEGIN TRANSACTION.
  readonly dialect: TransactionDialect = { ...standardTransactionDialect, begin: "START TRANSACTION" };
  readonly abortsTransactionOnError = false;
  readonly runControl: (runner: QueryRunner, sql: string) => Promise<void> = runOnMysqlConnection;
  private readonly mysql2: Mysql2Module;
  private readonly mysql2Promise: MysqlPromiseModule;

  constructor(settings: ResolvedServerSettings) {
    super(settings);
    this.name = settings.type;
    this.mysql2 = guardedMysql2Module(loadDriverPackage<Mysql2Module>(settings.type, "mysql2"), this.connectGuard, settings.database);
    this.mysql2Promise = loadDriverPackage<MysqlPromiseModule>(settings.type, "mysql2/promise");
  }

  async emptyTables(execute: (sql: string) => Promise<unknown>, tables: readonly string[]): Promise<void> {
    // Not TRUNCATE: it is DDL in MySQL, so it commits implicitly and waits for an exclusive metadata
    // lock that any other session's open transaction on the table holds off (another DataSource's
    // session transaction). DELETE does neither; it leaves AUTO_INCREMENT as it is.
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
      const lost: Listener = (error) => this.connectionLost(error);
      connection.on("error", lost);
      connection.on("end", lost);
      return {
        client: connection,
        release: () => {
          connection.removeListener("error", lost);
          connection.removeListener("end", lost);
          if (this.lostCause === undefined) release();
          else connection.destroy();
        },
      };
    };
  }

  protected routeConnections(driver: Driver, shared: () => Promise<SharedClient>): void {
    const surface = driver as unknown as MysqlDriverSurface;
    surface.obtainMasterConnection = async () => (await shared()).client as PoolConnection;
    surface.obtainSlaveConnection = surface.obtainMasterConnection;
  }

  protected async adminConnection(): Promise<AdminConnection> {
    const { host, port, username, password } = this.settings;
    const connection = await this.mysql2Promise.createConnection({ host, port, user: username, password });
    // A server that ends the session mid-way fails the statement; the event must not crash the process.
    connection.on("error", () => undefined);
    return {
      query: async (sql, parameters) => (await connection.query(sql, parameters))[0] as Record<string, unknown>[],
      end: () => connection.end(),
    };
  }

  // mysql2 marks the errors after which the connection is closed as fatal (PROTOCOL_CONNECTION_LOST,
  // a killed session, "Can't add new command when connection is in closed state").
  protected isConnectionLoss(error: unknown): boolean {
    return (error as { fatal?: unknown } | undefined)?.fatal === true;
  }

  protected async databaseExists(admin: AdminConnection): Promise<boolean> {
    return (await admin.query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [this.database])).length > 0;
  }

  protected async otherSessions(admin: AdminConnection): Promise<DatabaseSession[]> {
    const rows = await admin.query(
      "SELECT ID AS id, USER AS user, HOST AS host FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() ORDER BY ID",
      [this.database],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      user: (row.user as string | null) ?? undefined,
      applicationName: undefined,
      // "localhost" is a Unix socket; otherwise "address:port".
      clientAddress: row.host && row.host !== "localhost" ? String(row.host) : undefined,
    }));
  }

  protected async createDatabase(admin: AdminConnection): Promise<void> {
    await admin.query(`CREATE DATABASE IF NOT EXISTS ${quote(this.database)}`);
  }

  protected async dropDatabase(admin: AdminConnection, force: boolean, sessions: readonly DatabaseSession[]): Promise<void> {
    if (force) for (const session of sessions) await admin.query(`KILL CONNECTION ${session.id}`).catch(() => undefined);
    // DROP DATABASE waits for other sessions' metadata locks: fail soon instead (see isInUseError).
    await admin.query(`SET SESSION lock_wait_timeout = ${DROP_LOCK_WAIT_SECONDS}`);
    await admin.query(`DROP DATABASE IF EXISTS ${quote(this.database)}`);
  }

  protected isInUseError(error: unknown): boolean {
    return (error as { errno?: unknown } | undefined)?.errno === LOCK_WAIT_TIMEOUT;
  }
}

/**
 * `mysql2` as TypeORM gets it: a pool is refused before it opens any connection unless `mysql2`
 * resolved its options (`uri` included) to the test database on the engine's server; every
 * connection it hands out is checked once, before any other statement (`DATABASE()`), and
 * destroyed if refused. Pool clusters (TypeORM's `replication`) are refused.
 */
function guardedMysql2Module(mysql2: Mysql2Module, guard: ConnectGuard, database: string): Mysql2Module {
  const targetOf = (config: ConnectionConfig) =>
    config.socketPath
      ? { database: config.database, host: config.socketPath }
      : { database: config.database, host: config.host, port: config.port };
  const createPool = (options: Record<string, unknown>): Mysql2Pool => {
    const pool = mysql2.createPool(options);
    const target = targetOf(pool.config.connectionConfig);
    try {
      guard.before(target);
    } catch (error) {
      pool.end(() => undefined);
      throw error;
    }
    const getConnection = pool.getConnection.bind(pool);
    const verified = new WeakSet<PoolConnection>();
    pool.getConnection = (callback) => {
      try {
        // NODE_ENV and the rest again: the pool may open a new connection now.
        guard.before(target);
      } catch (error) {
        process.nextTick(() => callback(error));
        return;
      }
      getConnection((error, connection) => {
        if (error || !connection || verified.has(connection)) return callback(error, connection);
        connection.query("SELECT DATABASE() AS name", (queryError, rows) => {
          try {
            if (queryError) throw queryError;
            guard.after(((rows as { name?: string | null }[] | undefined)?.[0]?.name ?? undefined) as string | undefined);
          } catch (refused) {
            connection.destroy();
            return callback(refused);
          }
          verified.add(connection);
          callback(null, connection);
        });
      });
    };
    return pool;
  };
  const createPoolCluster = () => {
    throw new UnsafeTestDatabaseError(
      database,
      "TypeORM was about to open a pool cluster (the DataSource's options were given `replication`), which would connect to " +
        "its master and replicas. Leave where the database is to the engine setting.",
    );
  };
  return { ...mysql2, createPool, createPoolCluster } as Mysql2Module;
}
