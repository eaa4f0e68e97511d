import type { DataSourceOptions, Driver } from "typeorm";
import type { PhysicalConnection } from "../../connection/shared-connection";
import type { TransactionDialect } from "../../connection/transaction-dialect";
import type { ApplicationOptions } from "../../data-source/option-classification";
import type { Engine } from "../engine";
import { forgetTestDatabase, guardTestDatabase, prepareTestDatabaseOnce } from "./test-database";

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
  readonly adminDatabase: string;
}

/** The one connection a pooled driver hands to every runner, and how to give it back. */
export interface SharedClient {
  readonly client: unknown;
  release(): Promise<void> | void;
}

// Copied to a driver that adopts another's connection: what the native connect() would have learnt.
const LEARNT_ON_CONNECT = [
  "version",
  "database",
  "searchSchema",
  "schema",
  "isGeneratedColumnsSupported",
  "_isReturningSqlSupported",
  "cteCapabilities",
  "uuidColumnTypeSuported",
];

/**
 * A real database server as the inner engine (django-shareddb's INNER_ENGINE): every runner gets
 * the same pooled connection, tests run in a `test_`-prefixed database created on first use, and
 * the guard refuses anything else before a statement is sent.
 */
export abstract class ServerEngine implements Engine {
  readonly persistent = true;
  abstract readonly name: string;
  abstract readonly dialect: TransactionDialect;
  abstract readonly abortsTransactionOnError: boolean;

  constructor(protected readonly settings: ResolvedServerSettings) {
    guardTestDatabase(settings.database, settings.prefix);
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
        await prepareTestDatabaseOnce(this.databaseKey, () => this.createTestDatabase());
        await native.open();
      },
      close: async () => {
        const client = shared;
        shared = undefined;
        if (client) await (await client).release();
        await native.close();
        if (!this.settings.dropDatabase) return;
        await this.admin([this.dropDatabaseSql()]);
        forgetTestDatabase(this.databaseKey);
      },
    };
  }

  adoptConnection(driver: Driver, owner: Driver): void {
    const source = owner as unknown as Record<string, unknown>;
    const target = driver as unknown as Record<string, unknown>;
    target.obtainMasterConnection = () => (source.obtainMasterConnection as () => Promise<unknown>)();
    target.obtainSlaveConnection = target.obtainMasterConnection;
    for (const field of LEARNT_ON_CONNECT) if (field in source) target[field] = source[field];
  }

  abstract emptyTables(execute: (sql: string) => Promise<unknown>, tables: readonly string[]): Promise<void>;

  /** Extra TypeORM options (the driver package, connector). */
  protected abstract driverOptions(): Partial<DataSourceOptions>;
  /** Takes one connection from the driver's own pool, the way its runners would. */
  protected abstract nativeAcquire(driver: Driver): () => Promise<SharedClient>;
  /** Makes the driver hand `shared` to every runner, master and replica alike. */
  protected abstract routeConnections(driver: Driver, shared: () => Promise<SharedClient>): void;
  /** Runs statements on a short-lived administrative connection (no test database selected). */
  protected abstract admin(statements: string[]): Promise<void>;
  protected abstract databaseExists(): Promise<boolean>;
  protected abstract createDatabaseSql(): string;
  protected abstract dropDatabaseSql(): string;

  private async createTestDatabase(): Promise<void> {
    if (!this.settings.keepDatabase) await this.admin([this.dropDatabaseSql()]);
    if (this.settings.keepDatabase && (await this.databaseExists())) return;
    await this.admin([this.createDatabaseSql()]);
  }
}
