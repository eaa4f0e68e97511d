import type { DataSourceOptions } from "typeorm";
import { applicationFamily } from "../../data-source/application-type";
import { InvalidSettingsError } from "../../errors/invalid-settings-error";
import { MysqlEngine } from "../mysql/mysql-engine";
import { PostgresEngine } from "../postgres/postgres-engine";
import type { ServerEngine } from "./server-engine";
import type { ServerEngineSettings } from "./server-engine-settings";
import { guardTestDatabase, parallelWorkerId, testDatabaseName, unsafePrefixReason, workerDatabaseName } from "./test-database";

const SERVER_TYPES = new Set(["postgres", "mysql", "mariadb"]);

export function isServerEngineSettings(value: unknown): value is ServerEngineSettings {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

interface ConnectionFields {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  database?: string;
}

/** The application's master connection options; its replicas are never looked at. */
function applicationMaster(options: DataSourceOptions): ConnectionFields {
  const withReplication = options as DataSourceOptions & { replication?: { master?: ConnectionFields } };
  return { ...(options as ConnectionFields), ...(withReplication.replication?.master ?? {}) };
}

export function createServerEngine(settings: ServerEngineSettings, options: DataSourceOptions): ServerEngine {
  if (!SERVER_TYPES.has(settings.type)) {
    throw new InvalidSettingsError(
      "engine",
      settings,
      `engine.type must be "postgres", "mysql" or "mariadb", got ${JSON.stringify(settings.type)}.`,
    );
  }
  const family = applicationFamily(options.type);
  const engineFamily = settings.type === "postgres" ? "postgres" : "mysql";
  if (family !== engineFamily) {
    throw new InvalidSettingsError(
      "engine",
      settings,
      `a ${JSON.stringify(options.type)} application cannot run on a ${settings.type} server: TypeORM would write SQL for ${settings.type}, not for your production database. ` +
        (family === "sqlite"
          ? "Leave engine unset to run on in-memory SQLite."
          : `Use engine.type ${family === "postgres" ? '"postgres"' : '"mysql" or "mariadb"'}, or leave engine unset to run on SQLite with production fidelity.`),
    );
  }
  const prefix = settings.testDatabasePrefix ?? "test_";
  const prefixProblem = unsafePrefixReason(prefix);
  if (prefixProblem) throw new InvalidSettingsError("engine", settings, prefixProblem);
  const fromApp = settings.useApplicationOptions ? applicationMaster(options) : {};
  const postgres = settings.type === "postgres";
  const base = settings.database ?? fromApp.database;
  if (typeof base !== "string" || base.length === 0) {
    throw new InvalidSettingsError(
      "engine",
      settings,
      `engine.database is not set${settings.useApplicationOptions ? ", and the application's master options name no database" : ""}. ` +
        `Name the database the tests are for, e.g. engine: { type: "${settings.type}", database: "app" } runs them in "${prefix}app" ` +
        `(created, and dropped and recreated, by the library), or set useApplicationOptions: true to take it from your application's options.`,
    );
  }
  const testName = testDatabaseName(base, prefix);
  // Before the worker suffix, which would turn a bare prefix ("test_") into a name ("test__2").
  guardTestDatabase(testName, prefix);
  const resolved = {
    type: settings.type,
    host: settings.host ?? fromApp.host ?? "127.0.0.1",
    port: settings.port ?? fromApp.port ?? (postgres ? 5432 : 3306),
    username: settings.username ?? fromApp.username ?? (postgres ? "postgres" : "root"),
    password: settings.password ?? fromApp.password,
    database: workerDatabaseName(testName, parallelWorkerId()),
    prefix,
    keepDatabase: settings.keepDatabase ?? false,
    dropDatabase: settings.dropDatabase ?? false,
    forceDrop: settings.forceDrop ?? false,
    adminDatabase: settings.adminDatabase ?? "postgres",
  };
  return postgres ? new PostgresEngine(resolved) : new MysqlEngine(resolved);
}
