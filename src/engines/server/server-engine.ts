import type { DataSourceOptions, Driver } from "typeorm";
import type { PhysicalConnection } from "../../connection/shared-connection";
import type { TransactionDialect } from "../../connection/transaction-dialect";
import type { ApplicationOptions } from "../../data-source/option-classification";
import { ConnectionLostError } from "../../errors/connection-lost-error";
import { TestDatabaseInUseError, type DatabaseSession } from "../../errors/test-database-in-use-error";
import { UnsafeTestDatabaseError } from "../../errors/unsafe-test-database-error";
import type { Engine } from "../engine";
import {
  countOpenConnection,
  forgetTestDatabase,
  guardConnectionTarget,
  guardTestDatabase,
  prepareTestDatabaseOnce,
  type ConnectionTarget,
} from "./test-database";
import { adoptPooledConnection } from "../adopt-pooled-connection";

/** Server settings with every default applied and the test database name derived. */
export interface ResolvedServerSettings {
  readonly type: "postgres" | "mysql" | "mariadb";
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string | undefined;
  /** The test database's name (already prefixed, worker suffix included). */
  readonly database: string;
  readonly prefix: string;
  readonly keepDatabase: boolean;
  readonly dropDatabase: boolean;
  readonly forceDrop: boolean;
  readonly adminDatabase: string;
}

/** The one connection a pooled driver hands to every runner, and how to give it back. */
export interface SharedClient {
  readonly client: unknown;
  release(): Promise<void> | void;
}

/** A short-lived connection for the engine's own statements, with no test database selected. */
export interface AdminConnection {
  query(sql: string, parameters?: unknown[]): Promise<Record<string, unknown>[]>;
  end(): Promise<void>;
}

/**
 * What the driver package the engine hands to TypeORM calls around every physical connection its
 * pools open: `before` with where the driver resolved it goes, `after` with the database the
 * server says it is connected to. Both throw `UnsafeTestDatabaseError` to refuse it.
 */
export interface ConnectGuard {
  before(target: ConnectionTarget): void;
  after(database: string | undefined): void;
}

/**
 * A real database server as the inner engine (django-shareddb's INNER_ENGINE): every runner gets
 * the same pooled connection, tests run in a `test_`-prefixed database created on first use, and
 * the guard refuses anything else before a statement is sent: at construction, before every
 * physical connection the driver opens, and right after it, by asking the server.
 */
export abstract class ServerEngine implements Engine {
  readonly persistent = true;
  abstract readonly name: string;
  abstract readonly dialect: TransactionDialect;
  abstract readonly abortsTransactionOnError: boolean;
  /** Why the server closed the shared connection, once it did; cleared when a new one opens. */
  private lost: { readonly cause: unknown } | undefined;
  /** Checks every physical connection of the driver package the engine gives TypeORM. */
  protected readonly connectGuard: ConnectGuard;

  constructor(protected readonly settings: ResolvedServerSettings) {
    guardTestDatabase(settings.database, settings.prefix);
    const expected = { database: settings.database, host: settings.host, port: settings.port };
    this.connectGuard = {
      before: (target) => guardConnectionTarget(expected, target, settings.prefix, "The connection the driver was about to open"),
      after: (database) => guardConnectionTarget(expected, { database }, settings.prefix, "The connection the driver opened"),
    };
  }

  get databaseKey(): string {
    return `${this.settings.type}://${this.settings.host}:${this.settings.port}/${this.settings.database}`;
  }

  get driverType(): string {
    return this.settings.type;
  }

  /** The test database's name. */
  get database(): string {
    return this.settings.database;
  }

  dataSourceOptions(application: ApplicationOptions): DataSourceOptions {
    const { type, host, port, username, password, database } = this.settings;
    return { ...application, ...this.driverOptions(), type, host, port, username, password, database } as DataSourceOptions;
  }

  physicalConnection(driver: Driver, native: PhysicalConnection): PhysicalConnection {
    let shared: Promise<SharedClient> | undefined;
    const acquire = this.nativeAcquire(driver);
    this.routeConnections(driver, () => (shared ??= acquire()));
    return {
      open: async () => {
        guardTestDatabase(this.settings.database, this.settings.prefix);
        this.guardDriverOptions(driver);
        await prepareTestDatabaseOnce(this.databaseKey, () => this.prepareTestDatabase());
        this.lost = undefined;
        await native.open();
        countOpenConnection(this.databaseKey, 1);
      },
      close: async () => {
        const client = shared;
        shared = undefined;
        let stillOpen: number;
        try {
          // A client the driver failed to hand out (the server was gone) has nothing to give back.
          const acquired = client && (await client.catch(() => undefined));
          if (acquired) await acquired.release();
          await native.close();
        } finally {
          stillOpen = countOpenConnection(this.databaseKey, -1);
        }
        // Another DataSource of this process still uses the database: the last one drops it.
        if (!this.settings.dropDatabase || stillOpen > 0) return;
        await this.withAdmin((admin) => this.dropTestDatabase(admin));
        forgetTestDatabase(this.databaseKey);
      },
    };
  }

  adoptConnection(driver: Driver, owner: Driver): void {
    adoptPooledConnection(driver, owner);
  }

  /**
   * Once the server closed the connection, every statement fails with `ConnectionLostError`
   * instead of the driver's "not queryable": the library does not reconnect behind the tests'
   * back, as what the connection held (the session transaction, savepoints) is gone.
   */
  statementError(error: unknown): unknown {
    if (!this.lost && !this.isConnectionLoss(driverErrorOf(error))) return error;
    this.lost ??= { cause: driverErrorOf(error) };
    return new ConnectionLostError(this.settings.database, this.lost.cause);
  }

  abstract emptyTables(execute: (sql: string) => Promise<unknown>, tables: readonly string[]): Promise<void>;

  /** The server or the network closed the shared connection (the driver's `error` or `end` event). */
  protected connectionLost(cause: unknown): void {
    this.lost ??= { cause: cause ?? new Error("the connection ended") };
  }

  /** The error the server closed the shared connection with, if it did. */
  protected get lostCause(): unknown {
    return this.lost?.cause;
  }

  /** Extra TypeORM options: the guarded driver package (see {@link ConnectGuard}), the connector. */
  protected abstract driverOptions(): Partial<DataSourceOptions>;
  /** Takes one connection from the driver's own pool, the way its runners would, and watches it for loss. */
  protected abstract nativeAcquire(driver: Driver): () => Promise<SharedClient>;
  /** Makes the driver hand `shared` to every runner, master and replica alike. */
  protected abstract routeConnections(driver: Driver, shared: () => Promise<SharedClient>): void;
  /** Opens a short-lived administrative connection (no test database selected). */
  protected abstract adminConnection(): Promise<AdminConnection>;
  /** True when `error` (the driver's own) means the connection is gone. */
  protected abstract isConnectionLoss(error: unknown): boolean;
  protected abstract databaseExists(admin: AdminConnection): Promise<boolean>;
  /** The sessions other than `admin`'s on the test database. */
  protected abstract otherSessions(admin: AdminConnection): Promise<DatabaseSession[]>;
  protected abstract createDatabase(admin: AdminConnection): Promise<void>;
  /** Drops the test database; with `force`, ending `sessions` first. Fails rather than waits while another session uses it. */
  protected abstract dropDatabase(admin: AdminConnection, force: boolean, sessions: readonly DatabaseSession[]): Promise<void>;
  /** True when `error` says the database could not be dropped because another session uses it. */
  protected abstract isInUseError(error: unknown): boolean;

  /**
   * TypeORM connects with the driver's options as they are when it connects; `replication` added
   * to them (`dataSource.setOptions()`) would open pools to its master and every replica.
   */
  private guardDriverOptions(driver: Driver): void {
    const options = (driver as unknown as { options?: { replication?: unknown } }).options;
    if (!options?.replication) return;
    throw new UnsafeTestDatabaseError(
      this.settings.database,
      "the DataSource's options were given `replication` after the engine set them (dataSource.setOptions()), so TypeORM would " +
        "connect to its master and replicas. Leave where the database is to the engine setting.",
    );
  }

  private async withAdmin<T>(fn: (admin: AdminConnection) => Promise<T>): Promise<T> {
    const admin = await this.adminConnection();
    try {
      return await fn(admin);
    } finally {
      await admin.end();
    }
  }

  /** Creates the test database, or drops and recreates it unless `keepDatabase` (never while another session uses it). */
  private prepareTestDatabase(): Promise<void> {
    return this.withAdmin(async (admin) => {
      const exists = await this.databaseExists(admin);
      if (exists && this.settings.keepDatabase) return;
      if (exists) await this.dropTestDatabase(admin);
      await this.createDatabase(admin);
    });
  }

  private async dropTestDatabase(admin: AdminConnection): Promise<void> {
    const sessions = await this.otherSessions(admin);
    if (sessions.length > 0 && !this.settings.forceDrop) throw new TestDatabaseInUseError(this.database, sessions);
    try {
      await this.dropDatabase(admin, this.settings.forceDrop, sessions);
    } catch (error) {
      // A session that connected after the check.
      if (!this.isInUseError(error)) throw error;
      throw new TestDatabaseInUseError(this.database, await this.otherSessions(admin), error);
    }
  }
}

/** The driver's own error inside TypeORM's `QueryFailedError`, or `error` itself. */
export function driverErrorOf(error: unknown): unknown {
  const driverError = (error as { driverError?: unknown } | undefined)?.driverError;
  return driverError ?? error;
}
