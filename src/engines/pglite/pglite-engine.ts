import path from "node:path";
import type { DataSource, DataSourceOptions, Driver, QueryRunner } from "typeorm";
import type { PhysicalConnection } from "../../connection/shared-connection";
import { standardTransactionDialect } from "../../connection/transaction-dialect";
import type { ApplicationOptions } from "../../data-source/option-classification";
import { EngineUnavailableError } from "../../errors/engine-unavailable-error";
import { InvalidSettingsError } from "../../errors/invalid-settings-error";
import type { Engine, SchemaCreation } from "../engine";
import { loadDriverPackage } from "../load-driver-package";
import { runOnPgClient } from "../run-control";
import type { PgliteEngineSettings } from "./pglite-engine-settings";
import { extensionModule, extensionsNeeded, PGLITE_EXTENSIONS } from "./pglite-extensions";
import { PgliteInstancePool, type PooledPglite } from "./pglite-instance-pool";
import { loadPglitePackage, type PglitePackage } from "./pglite-package";
import { schemaFingerprint, type SchemaFingerprint } from "./schema-fingerprint";
import { unrefPgliteTimers } from "./unref-pglite-timers";
import { adoptPooledConnection } from "../adopt-pooled-connection";
import { guardCopyFromStdin, type StatementConnection } from "./copy-from-stdin";

type PgClientClass = new (config?: Record<string, unknown>) => object;

interface PgModule {
  Client: PgClientClass;
  Query: abstract new (...args: never[]) => unknown;
  Pool: new (config?: Record<string, unknown>) => object;
}

type PoolRelease = (error?: unknown) => void;

interface PostgresDriverSurface {
  connection: DataSource;
  obtainMasterConnection(): Promise<[unknown, PoolRelease]>;
  obtainSlaveConnection(): Promise<[unknown, PoolRelease]>;
}

let pool: PgliteInstancePool | undefined;

/** The process's PGlite databases: one pool, however many DataSources. */
function processPool(pglite: PglitePackage): PgliteInstancePool {
  if (pool) return pool;
  unrefPgliteTimers();
  return (pool = new PgliteInstancePool(pglite));
}

/** True when `value` is `"pglite"` or a {@link PgliteEngineSettings} object. */
export function isPgliteEngineSettings(value: unknown): value is "pglite" | PgliteEngineSettings {
  return value === "pglite" || (typeof value === "object" && value !== null && (value as { type?: unknown }).type === "pglite");
}

/** Inside a Jest worker whose Node was not started with `--experimental-vm-modules`. */
function jestWithoutVmModules(): boolean {
  if (process.env.JEST_WORKER_ID === undefined) return false;
  return ![...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((arg) => arg.includes("--experimental-vm-modules"));
}

function defaultCacheDirectory(): string {
  return path.join(process.cwd(), "node_modules", ".cache", "typeorm-shared-replication");
}

function resolvedExtensions(settings: PgliteEngineSettings): readonly string[] {
  const extensions = settings.extensions ?? [];
  const unknown = Array.isArray(extensions) ? extensions.filter((name) => extensionModule(name) === undefined) : [extensions];
  if (unknown.length > 0) {
    throw new InvalidSettingsError(
      "engine",
      settings,
      `engine.extensions names extensions PGlite does not ship or the engine does not know: ${unknown.map((e) => JSON.stringify(e)).join(", ")}. ` +
        `Known: ${PGLITE_EXTENSIONS.map((e) => e.name).join(", ")}.`,
    );
  }
  return extensions;
}

/**
 * Real Postgres in process: PGlite (`@electric-sql/pglite`, Postgres compiled to WebAssembly) as
 * the inner engine of a Postgres application. The application's options run through TypeORM's own
 * `postgres` driver and `pg`, whose client speaks the wire protocol to PGlite through the
 * connection PGlite ships for it (`@electric-sql/pglite/node-postgres`): values come back exactly
 * as `pg` parses them, errors carry Postgres' SQLSTATEs, a failed statement aborts the transaction.
 * No emulation is applied. Like a server, the database outlives the DataSource: it is started once
 * per process (from a snapshot when one fits), its schema created once, and everything else runs
 * in a session transaction rolled back on destroy.
 */
export class PgliteEngine implements Engine {
  readonly name = "pglite";
  readonly driverType = "postgres";
  readonly dialect = standardTransactionDialect;
  readonly persistent = true;
  readonly abortsTransactionOnError = true;
  readonly laggingReplicas = "postgres";
  readonly runControl: (runner: QueryRunner, sql: string) => Promise<void> = runOnPgClient;
  private readonly pglite: PglitePackage;
  private readonly pgliteBackedPg: PgModule;
  private readonly requestedExtensions: readonly string[];
  private readonly cacheDirectory: string | undefined;
  private readonly fingerprints = new WeakMap<DataSource, Promise<SchemaFingerprint | undefined>>();
  /** The PGlite database this engine's DataSource holds while its connection is open. */
  private lease: PooledPglite | undefined;

  /**
   * @throws EngineNotInstalledError when `@electric-sql/pglite` or `pg` cannot be loaded.
   * @throws EngineUnavailableError under Jest without `--experimental-vm-modules`.
   * @throws InvalidSettingsError when `extensions` names one PGlite does not ship.
   */
  constructor(settings: PgliteEngineSettings = { type: "pglite" }) {
    if (jestWithoutVmModules()) {
      throw new EngineUnavailableError(
        "pglite",
        "Jest runs test files in a VM context, where PGlite's dynamic import() of Node modules needs Node's --experimental-vm-modules. " +
          'Run Jest with NODE_OPTIONS=--experimental-vm-modules, or choose an in-memory SQLite engine (engine: "better-sqlite3").',
      );
    }
    this.requestedExtensions = resolvedExtensions(settings);
    this.cacheDirectory = settings.cacheDirectory === false ? undefined : (settings.cacheDirectory ?? defaultCacheDirectory());
    this.pglite = loadPglitePackage();
    this.pgliteBackedPg = this.pgModule(loadDriverPackage<PgModule>("pglite", "pg"));
  }

  /** Names the PGlite database the DataSource holds, for once-per-database schema creation. */
  get databaseKey(): string {
    return `pglite://${this.lease?.id ?? 0}`;
  }

  dataSourceOptions(application: ApplicationOptions): DataSourceOptions {
    // No database is named: TypeORM asks PGlite's (current_database(), "postgres").
    return { ...application, type: "postgres", driver: this.pgliteBackedPg, host: "pglite" } as DataSourceOptions;
  }

  physicalConnection(driver: Driver, native: PhysicalConnection): PhysicalConnection {
    const surface = driver as unknown as PostgresDriverSurface;
    const obtain = surface.obtainMasterConnection.bind(driver);
    let shared: Promise<[unknown, PoolRelease]> | undefined;
    // Every runner, master and replica alike, gets the one client; it goes back to the pool on close.
    surface.obtainMasterConnection = async () => [(await (shared ??= obtain()))[0], () => undefined];
    surface.obtainSlaveConnection = surface.obtainMasterConnection;
    return {
      open: async () => {
        const fingerprint = await this.fingerprintOf(surface.connection);
        const extensions = extensionsNeeded(fingerprint?.text ?? "", this.requestedExtensions);
        this.lease = await processPool(this.pglite).acquire({
          extensions,
          schemaHash: fingerprint?.hash,
          cacheDirectory: this.cacheDirectory,
        });
        try {
          await native.open();
        } catch (error) {
          await this.returnLease();
          throw error;
        }
      },
      close: async () => {
        const client = shared;
        shared = undefined;
        try {
          const acquired = client && (await client.catch(() => undefined));
          if (acquired) acquired[1]();
          await native.close();
        } finally {
          await this.returnLease();
        }
      },
    };
  }

  adoptConnection(driver: Driver, owner: Driver): void {
    adoptPooledConnection(driver, owner);
  }

  /**
   * Creates the schema unless this PGlite database has it: created by an earlier DataSource of the
   * process, or loaded from the snapshot of the same entities and migrations. The first schema
   * created in a new cluster is kept as that snapshot for the next runs.
   */
  async createSchemaOnce(schema: SchemaCreation, create: () => Promise<void>): Promise<void> {
    const lease = this.lease;
    if (!lease) return create();
    const fingerprint = await this.fingerprintOf(schema.dataSource);
    const key = `${fingerprint?.hash ?? ""}|${schema.strategy}|${schema.tables.join(",")}`;
    if (lease.createdSchemas.has(key)) return;
    const snapshot = lease.snapshotSchema;
    if (fingerprint && snapshot?.hash === fingerprint.hash && snapshot.strategy === schema.strategy) {
      lease.createdSchemas.add(key);
      return;
    }
    const pristine = lease.pristine;
    lease.pristine = false;
    lease.snapshotSchema = undefined;
    lease.holds = undefined;
    await create();
    lease.createdSchemas.add(key);
    lease.holds = fingerprint?.hash;
    if (!pristine || !fingerprint || this.cacheDirectory === undefined) return;
    const created = { hash: fingerprint.hash, strategy: schema.strategy };
    await processPool(this.pglite).saveSchemaSnapshot(lease, created, this.cacheDirectory);
    lease.snapshotSchema = created;
  }

  async emptyTables(execute: (sql: string) => Promise<unknown>, tables: readonly string[]): Promise<void> {
    if (tables.length > 0) await execute(`TRUNCATE ${tables.join(", ")} RESTART IDENTITY CASCADE`);
  }

  private fingerprintOf(dataSource: DataSource): Promise<SchemaFingerprint | undefined> {
    let fingerprint = this.fingerprints.get(dataSource);
    if (!fingerprint) {
      fingerprint = schemaFingerprint(dataSource);
      this.fingerprints.set(dataSource, fingerprint);
    }
    return fingerprint;
  }

  private async returnLease(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    if (lease) await processPool(this.pglite).release(lease);
  }

  /**
   * `pg` as TypeORM gets it: every client its pool creates talks to the PGlite database this
   * engine holds, through PGlite's own `pg` connection, instead of opening a socket.
   */
  private pgModule(pg: PgModule): PgModule {
    const connection = () => {
      if (!this.lease) throw new Error("The PGlite engine was asked for a connection while its DataSource holds no PGlite database");
      return this.pglite.nodePostgres.createPgConfig(this.lease.instance).connection;
    };
    class PgliteClient extends pg.Client {
      constructor(config: Record<string, unknown> = {}) {
        const pglite = connection();
        super({ ...config, connection: pglite });
        guardCopyFromStdin(pglite as unknown as StatementConnection, () => (this as { activeQuery?: unknown }).activeQuery, pg.Query);
      }
    }
    class PglitePool extends pg.Pool {
      constructor(config: Record<string, unknown> = {}) {
        super({ ...config, Client: PgliteClient });
      }
    }
    // `native` is not copied (not enumerable): TypeORM would switch to pg-native, which opens sockets.
    return { ...pg, Pool: PglitePool, Client: PgliteClient };
  }
}
