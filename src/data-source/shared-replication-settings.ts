import type { DataSourceOptions } from "typeorm";
import type { EngineName } from "../engines/resolve-engine";
import type { PgliteEngineSettings } from "../engines/pglite/pglite-engine-settings";
import type { ServerEngineSettings } from "../engines/server/server-engine-settings";
import { InvalidSettingsError } from "../errors/invalid-settings-error";
import type { SharedReplicationDataSource } from "./shared-replication-data-source";
import { applicationFamily, type ApplicationFamily } from "./application-type";
import { internalsOf } from "./data-source-internals";
import { replicationShape } from "./replication-shape";
import { resolveReplicaLag, type ReplicaLag, type ResolvedLag } from "../replication/lag/replica-lag";

/** How a SharedReplicationDataSource creates its schema. */
export type SchemaStrategy = "synchronize" | "migrations" | "none";

/**
 * Settings of a {@link SharedReplicationDataSource}. Every field is optional.
 *
 * @example
 * ```ts
 * new SharedReplicationDataSource(productionOptions, { replicas: 2, connectionWaitTimeout: 2000 });
 * ```
 */
export interface SharedReplicationSettings {
  /**
   * How many replicas to simulate; replica runners are assigned to them round-robin.
   * The default value is `replication.slaves.length` of the application's options, or 0 when
   * they have no `replication`. 0 means replica (`"slave"`) runners are served by the master and
   * writes through them succeed, as TypeORM's drivers do without replicas; a positive count
   * simulates that many replicas even if the production options have none.
   */
  readonly replicas?: number;
  /**
   * Let writes through replica (`"slave"`) runners instead of throwing `ReplicaWriteError`.
   * The default value is `false`.
   */
  readonly allowReplicaWrites?: boolean;
  /**
   * How long, in milliseconds, a statement or transaction waits for the shared connection while
   * another flow's transaction holds it, before failing with `ConnectionWaitTimeoutError`.
   * The default value is 5000.
   */
  readonly connectionWaitTimeout?: number;
  /**
   * How many statements `dataSource.queryLog` keeps. Captures keep everything regardless.
   * The default value is 1000.
   */
  readonly queryLogSize?: number;
  /**
   * Another SharedReplicationDataSource whose connection this one shares (the seeds' `default`
   * and `slave1` aliases): writes through either are visible through both, and the schema covers
   * the entities of both. The default value is `undefined`: a connection of its own.
   */
  readonly shareConnectionWith?: SharedReplicationDataSource;
  /**
   * How the schema is created on `initialize()`: from the entities (`"synchronize"`), by running
   * the application's migrations (`"migrations"`), or not at all (`"none"`).
   * The default value is `"migrations"` when the application's options have `migrationsRun: true`,
   * otherwise `"synchronize"`.
   */
  readonly schema?: SchemaStrategy;
  /**
   * The inner engine that holds the shared connection: an in-memory SQLite engine by name,
   * `"pglite"` (real Postgres in process, for Postgres applications; {@link PgliteEngineSettings}),
   * or a real server ({@link ServerEngineSettings}) whose `test_` database every runner shares one
   * connection to. The default value, for a Postgres application, is `"pglite"` when
   * `@electric-sql/pglite` is installed; otherwise, and for every other application, the first
   * in-memory SQLite engine that is installed and that the running TypeORM supports, in this order:
   * `"sqlite3"` (TypeORM 0.3 only), `"better-sqlite3"`, `"sqljs"`.
   */
  readonly engine?: EngineName | PgliteEngineSettings | ServerEngineSettings;
  /**
   * How far replicas fall behind the master: `"none"` (replica reads see every write at once),
   * `"manual"` (replicas show the master's commits once `syncReplicas()` carries them over), or
   * `{ syncIntervalMs }` (each replica catches up on its own interval). Tests and groups start
   * with replicas in sync; `setReplicaLag()` changes it for one test or group. Needs replicas, and
   * an engine whose replicas can hold copies: the in-memory SQLite engines, PGlite, or a Postgres
   * server (not MySQL or MariaDB). The default value is `"none"`.
   */
  readonly replicaLag?: ReplicaLag;
}

/** Settings with every default applied. */
export interface ResolvedSettings {
  /** The family of the application's `type`. */
  readonly family: ApplicationFamily;
  readonly replicas: number;
  /** The DataSource routes to replicas: the application's options have `replication`, or `replicas` simulates some. */
  readonly replicated: boolean;
  readonly defaultMode: "master" | "slave";
  readonly allowReplicaWrites: boolean;
  readonly connectionWaitTimeout: number;
  readonly queryLogSize: number;
  readonly shareConnectionWith: SharedReplicationDataSource | undefined;
  readonly schema: SchemaStrategy;
  /** `undefined`: the default engine. */
  readonly engine: EngineName | PgliteEngineSettings | ServerEngineSettings | undefined;
  readonly replicaLag: ResolvedLag;
}

const KNOWN_SETTINGS = new Set<string>([
  "replicas",
  "allowReplicaWrites",
  "connectionWaitTimeout",
  "queryLogSize",
  "shareConnectionWith",
  "schema",
  "engine",
  "replicaLag",
]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonNegativeInteger(setting: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new InvalidSettingsError(setting, value, `expected a non-negative integer, got ${String(value)}.`);
  }
  return value;
}

function positiveInteger(setting: string, value: unknown, fallback: number): number {
  const result = nonNegativeInteger(setting, value, fallback);
  if (result === 0) throw new InvalidSettingsError(setting, value, "expected a positive integer, got 0.");
  return result;
}

/** Validates the application options and the settings, and applies the defaults. Throws before anything is created. */
export function resolveSettings(options: unknown, settings: unknown): ResolvedSettings {
  if (!isPlainObject(options)) {
    throw new InvalidSettingsError(
      "options",
      options,
      `expected the application's DataSourceOptions object (e.g. { type: "postgres", entities, replication }), got ${options === null ? "null" : typeof options}.`,
    );
  }
  if (settings === undefined) settings = {};
  if (!isPlainObject(settings)) {
    throw new InvalidSettingsError("settings", settings, `expected an object, got ${settings === null ? "null" : typeof settings}.`);
  }
  for (const key of Object.keys(settings)) {
    if (!KNOWN_SETTINGS.has(key)) {
      throw new InvalidSettingsError(key, settings[key], `unknown setting. Known settings: ${[...KNOWN_SETTINGS].join(", ")}.`);
    }
  }
  const family = applicationFamily(options.type);
  const shape = replicationShape(options as unknown as DataSourceOptions);
  const schema = settings.schema ?? (options.migrationsRun === true ? "migrations" : "synchronize");
  if (schema !== "synchronize" && schema !== "migrations" && schema !== "none") {
    throw new InvalidSettingsError("schema", schema, `expected "synchronize", "migrations" or "none".`);
  }
  if (settings.allowReplicaWrites !== undefined && typeof settings.allowReplicaWrites !== "boolean") {
    throw new InvalidSettingsError("allowReplicaWrites", settings.allowReplicaWrites, "expected a boolean.");
  }
  const shareWith = settings.shareConnectionWith;
  if (shareWith !== undefined && !(typeof shareWith === "object" && shareWith !== null && "queryLog" in shareWith)) {
    throw new InvalidSettingsError("shareConnectionWith", shareWith, "expected another SharedReplicationDataSource.");
  }
  if (shareWith !== undefined && settings.engine !== undefined) {
    throw new InvalidSettingsError(
      "engine",
      settings.engine,
      "a DataSource that shares another's connection runs on its engine: leave engine unset.",
    );
  }
  const sharedFamily = shareWith === undefined ? undefined : internalsOf(shareWith as SharedReplicationDataSource)?.context.family;
  if (sharedFamily !== undefined && sharedFamily !== family) {
    throw new InvalidSettingsError(
      "shareConnectionWith",
      shareWith,
      `a ${family} application cannot share the connection of a ${sharedFamily} application: their SQL and behaviour differ.`,
    );
  }
  const replicas = nonNegativeInteger("replicas", settings.replicas, shape.replicas ?? 0);
  return {
    family,
    replicas,
    replicated: shape.replicas !== undefined || replicas > 0,
    defaultMode: shape.defaultMode,
    allowReplicaWrites: (settings.allowReplicaWrites as boolean | undefined) ?? false,
    connectionWaitTimeout: positiveInteger("connectionWaitTimeout", settings.connectionWaitTimeout, 5000),
    queryLogSize: nonNegativeInteger("queryLogSize", settings.queryLogSize, 1000),
    shareConnectionWith: shareWith as SharedReplicationDataSource | undefined,
    schema,
    engine: settings.engine as EngineName | PgliteEngineSettings | ServerEngineSettings | undefined,
    replicaLag: resolveReplicaLag(settings.replicaLag, replicas),
  };
}
