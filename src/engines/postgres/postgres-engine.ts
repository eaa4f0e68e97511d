import type { DataSourceOptions, Driver, QueryRunner } from "typeorm";
import { standardTransactionDialect } from "../../connection/transaction-dialect";
import type { DatabaseSession } from "../../errors/test-database-in-use-error";
import { loadDriverPackage } from "../load-driver-package";
import { runOnPgClient } from "../run-control";
import {
  ServerEngine,
  type AdminConnection,
  type ConnectGuard,
  type ResolvedServerSettings,
  type SharedClient,
} from "../server/server-engine";

type Listener = (...args: unknown[]) => void;

interface PgClient {
  /** What `pg` resolved from the client's config, its connection string and the PG* environment variables. */
  readonly connectionParameters?: { readonly database?: string; readonly host?: string; readonly port?: number };
  connect(callback?: (error?: Error) => void): Promise<void> | void;
  query(sql: string, parameters?: unknown[]): Promise<{ rowCount: number | null; rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
  on(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
  setMaxListeners?(count: number): void;
}

type PgClientClass = new (config?: Record<string, unknown>) => PgClient;

interface PgModule {
  Client: PgClientClass;
  Pool: new (config?: Record<string, unknown>) => object;
}

type PoolRelease = (error?: unknown) => void;

interface PostgresDriverSurface {
  obtainMasterConnection(): Promise<[unknown, PoolRelease]>;
  obtainSlaveConnection(): Promise<[unknown, PoolRelease]>;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

// Postgres' SQLSTATEs for a session the server ended: admin_shutdown (pg_terminate_backend, a
// fast shutdown), crash_shutdown, cannot_connect_now; and the socket's own failures.
const CONNECTION_LOSS_CODES = new Set(["57P01", "57P02", "57P03", "ECONNRESET", "EPIPE"]);
const CONNECTION_LOSS_MESSAGE = /Connection terminated|is not queryable/;

/** A real PostgreSQL server through `pg`. */
export class PostgresEngine extends ServerEngine {
  readonly name = "postgres";
  readonly dialect = standardTransactionDialect;
  readonly abortsTransactionOnError = true;
  readonly laggingReplicas = "postgres";
  readonly runControl: (runner: QueryRunner, sql: string) => Promise<void> = runOnPgClient;
  private readonly pg: PgModule;
  private readonly guardedPg: PgModule;

  constructor(settings: ResolvedServerSettings) {
    super(settings);
    this.pg = loadDriverPackage<PgModule>("postgres", "pg");
    this.guardedPg = guardedPgModule(this.pg, this.connectGuard);
  }

  async emptyTables(execute: (sql: string) => Promise<unknown>, tables: readonly string[]): Promise<void> {
    if (tables.length > 0) await execute(`TRUNCATE ${tables.join(", ")} RESTART IDENTITY CASCADE`);
  }

  protected driverOptions(): Partial<DataSourceOptions> {
    return { driver: this.guardedPg } as Partial<DataSourceOptions>;
  }

  protected nativeAcquire(driver: Driver): () => Promise<SharedClient> {
    const obtain = (driver as unknown as PostgresDriverSurface).obtainMasterConnection.bind(driver);
    return async () => {
      const [connection, release] = await obtain();
      const client = connection as PgClient;
      // Every runner adds an "error" listener while it is connected; they all share this client.
      client.setMaxListeners?.(0);
      // The pool stops listening to a client it handed out: without a listener of ours, the
      // server ending the session (57P01) between statements would crash the process.
      const lost: Listener = (error) => this.connectionLost(error);
      client.on("error", lost);
      client.on("end", lost);
      return {
        client,
        release: () => {
          client.removeListener("error", lost);
          client.removeListener("end", lost);
          // With an error, the pool discards the client instead of keeping a dead one.
          release(this.lostCause);
        },
      };
    };
  }

  protected routeConnections(driver: Driver, shared: () => Promise<SharedClient>): void {
    const surface = driver as unknown as PostgresDriverSurface;
    surface.obtainMasterConnection = async () => [(await shared()).client, () => undefined];
    surface.obtainSlaveConnection = surface.obtainMasterConnection;
  }

  protected async adminConnection(): Promise<AdminConnection> {
    const { host, port, username, password, adminDatabase } = this.settings;
    const client = new this.pg.Client({ host, port, user: username, password, database: adminDatabase });
    // A server that ends the session mid-way fails the statement; the event must not crash the process.
    client.on("error", () => undefined);
    await client.connect();
    return {
      query: async (sql, parameters) => (await client.query(sql, parameters)).rows,
      end: () => client.end(),
    };
  }

  protected isConnectionLoss(error: unknown): boolean {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    return CONNECTION_LOSS_CODES.has(String(code)) || CONNECTION_LOSS_MESSAGE.test(String(message));
  }

  protected async databaseExists(admin: AdminConnection): Promise<boolean> {
    return (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [this.database])).length > 0;
  }

  protected async otherSessions(admin: AdminConnection): Promise<DatabaseSession[]> {
    const rows = await admin.query(
      "SELECT pid, usename, application_name, host(client_addr) AS client_addr, client_port FROM pg_stat_activity " +
        "WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid",
      [this.database],
    );
    return rows.map((row) => ({
      id: Number(row.pid),
      user: (row.usename as string | null) ?? undefined,
      applicationName: (row.application_name as string | null) || undefined,
      clientAddress: row.client_addr ? `${String(row.client_addr)}:${String(row.client_port)}` : undefined,
    }));
  }

  protected async createDatabase(admin: AdminConnection): Promise<void> {
    await admin.query(`CREATE DATABASE ${quote(this.database)}`);
  }

  // Without FORCE, Postgres refuses (55006) rather than waits while another session is connected.
  protected async dropDatabase(admin: AdminConnection, force: boolean): Promise<void> {
    await admin.query(`DROP DATABASE IF EXISTS ${quote(this.database)}${force ? " WITH (FORCE)" : ""}`);
  }

  protected isInUseError(error: unknown): boolean {
    return (error as { code?: unknown } | undefined)?.code === "55006";
  }
}

/**
 * `pg` as TypeORM gets it: every client its pools create is checked before it connects (where
 * `pg` resolved its config, connection string and PG* environment variables to go) and right after,
 * before any other statement (`current_database()`), and closed if refused. A `Client` class given
 * in `extra` is checked the same way.
 */
function guardedPgModule(pg: PgModule, guard: ConnectGuard): PgModule {
  const guardedClasses = new WeakMap<PgClientClass, PgClientClass>();
  const guarded = (Base: PgClientClass): PgClientClass => {
    let Guarded = guardedClasses.get(Base);
    if (Guarded) return Guarded;
    Guarded = class GuardedClient extends Base {
      override connect(callback?: (error?: Error) => void): Promise<void> | void {
        const connected = this.connectGuarded();
        if (!callback) return connected;
        connected.then(() => callback(), callback);
      }

      private async connectGuarded(): Promise<void> {
        const parameters = this.connectionParameters ?? {};
        guard.before({ database: parameters.database, host: parameters.host, port: parameters.port });
        await super.connect();
        try {
          const { rows } = await this.query("SELECT current_database() AS name");
          guard.after(rows[0]?.name as string | undefined);
        } catch (error) {
          await this.end().catch(() => undefined);
          throw error;
        }
      }
    };
    guardedClasses.set(Base, Guarded);
    return Guarded;
  };
  class GuardedPool extends pg.Pool {
    constructor(config: Record<string, unknown> = {}) {
      super({ ...config, Client: guarded((config.Client as PgClientClass | undefined) ?? pg.Client) });
    }
  }
  // `native` is not copied (not enumerable): TypeORM would switch to pg-native's unguarded pools.
  return { ...pg, Pool: GuardedPool, Client: guarded(pg.Client) };
}
