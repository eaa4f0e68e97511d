import type { DataSource, DataSourceOptions, Driver, QueryRunner } from "typeorm";
import type { PhysicalConnection } from "../connection/shared-connection";
import type { TransactionDialect } from "../connection/transaction-dialect";
import type { ApplicationOptions } from "../data-source/option-classification";
import type { LagDialectName } from "../replication/lag/lagging-replicas";

/** A schema a persistent engine is asked to create, committed, outside every test transaction. */
export interface SchemaCreation {
  readonly dataSource: DataSource;
  /** The schema's tables (their paths, sorted), as the once-per-database bookkeeping keys it. */
  readonly tables: readonly string[];
  /** How it is created: `"synchronize"`, `"migrations"` or `"none"`. */
  readonly strategy: string;
}

/**
 * An inner database engine: where the one shared connection lives. Engines plug in through this
 * small interface; everything else (lock, savepoints, replicas, log) is engine-neutral.
 */
export interface Engine {
  readonly name: string;
  /**
   * TypeORM's `type` of the driver the engine runs (`"sqlite"`, `"better-sqlite3"`, `"sqljs"`,
   * `"postgres"`, `"mysql"`, `"mariadb"`): the application's driver options are passed only when
   * it runs the production driver.
   */
  readonly driverType: string;
  readonly dialect: TransactionDialect;
  /**
   * True when the database outlives the DataSource (a real server): the schema is created once per
   * process, and everything else runs in a session transaction that is rolled back on destroy, so
   * nothing is ever committed. The default value is `false`.
   */
  readonly persistent?: boolean;
  /**
   * True when a failed statement aborts the whole transaction (Postgres): statements production
   * would run outside any transaction (directly in a test, or from another runner inside an
   * application transaction's flow) get a savepoint of their own, so an expected error does not
   * poison the rest of the test, and a transaction's commit asks the engine whether it recovered
   * from a failed statement. The default value is `false`.
   */
  readonly abortsTransactionOnError?: boolean;
  /**
   * How replicas hold data of their own on the one connection, which lag mode needs: attached
   * in-memory SQLite databases (`"sqlite"`), or schemas of the Postgres database (`"postgres"`).
   * The default value is `undefined`: lag mode is unavailable.
   */
  readonly laggingReplicas?: LagDialectName;
  /** Identifies the database, for once-per-process schema creation of persistent engines. */
  readonly databaseKey?: string;
  /**
   * How the owner driver opens and closes the physical connection. Engines whose drivers pool
   * connections route every runner onto one connection here. The default is the driver's own
   * `connect()` / `disconnect()` (`native`).
   */
  physicalConnection?(driver: Driver, native: PhysicalConnection): PhysicalConnection;
  /** TypeORM options that run the application's options (already sorted by the option classification) on this engine. */
  dataSourceOptions(application: ApplicationOptions): DataSourceOptions;
  /** Points `driver` at the physical connection `owner` opened, instead of opening its own. */
  adoptConnection(driver: Driver, owner: Driver): void;
  /** Called for every runner right after it is constructed, e.g. to share per-connection state between runners. */
  prepareRunner?(runner: QueryRunner): void;
  /**
   * Runs one of the library's own transaction-control statements (a transaction frame's `BEGIN`,
   * `SAVEPOINT`, `RELEASE`, `ROLLBACK TO`, `COMMIT` or `ROLLBACK`) on the connection `runner` uses,
   * without TypeORM's `query()`, for engines where that path costs more than the statement. Resolves
   * once it ran; rejects with a `QueryFailedError`, as TypeORM's `query()` does. TypeORM's logger and
   * subscribers are then shown the statements of the application's transaction instead (`BEGIN
   * TRANSACTION`, `COMMIT`), as production's TypeORM shows them. The default value is `undefined`:
   * TypeORM's `query()` runs them.
   */
  runControl?(runner: QueryRunner, sql: string): Promise<void>;
  /**
   * The error a failed statement reports, given what the driver's runner threw for it. TypeORM
   * reports a failed statement as a `QueryFailedError`; an engine whose runner lets some driver
   * errors escape unwrapped wraps them here. The default is the error as thrown.
   */
  statementError?(error: unknown, sql: string, parameters: unknown[] | undefined): unknown;
  /**
   * Creates the schema of a persistent engine's database unless the database has it already (it
   * runs `create` or not). The default is once per process, database and table list.
   */
  createSchemaOnce?(schema: SchemaCreation, create: () => Promise<void>): Promise<void>;
  /** Empties `tables` (names already escaped) whatever their foreign keys, and resets their sequences. */
  emptyTables(execute: (sql: string) => Promise<unknown>, tables: readonly string[]): Promise<void>;
}
