import { applicationFamily } from "../data-source/application-type";
import { InvalidSettingsError } from "../errors/invalid-settings-error";
import type { DataSourceOptions } from "typeorm";
import type { Engine } from "./engine";
import { createServerEngine, isServerEngineSettings } from "./server/create-server-engine";
import { BetterSqlite3Engine } from "./better-sqlite3/better-sqlite3-engine";
import { defaultEngine } from "./sqlite-family/default-in-memory-engine";
import { SqljsEngine } from "./sqljs/sqljs-engine";
import { Sqlite3Engine } from "./sqlite3/sqlite3-engine";
import { createPgliteEngine } from "./pglite/create-pglite-engine";
import { isPgliteEngineSettings } from "./pglite/pglite-engine";

/** Names accepted by the `engine` setting. */
export type EngineName = "sqlite3" | "better-sqlite3" | "sqljs" | "pglite";

const engines: Record<Exclude<EngineName, "pglite">, (options: DataSourceOptions) => Engine> = {
  sqlite3: (options) => new Sqlite3Engine(applicationFamily(options.type)),
  "better-sqlite3": () => new BetterSqlite3Engine(),
  sqljs: () => new SqljsEngine(),
};

export function resolveEngine(name: unknown, options: DataSourceOptions): Engine {
  if (name === undefined)
    return defaultEngine(
      options,
      (inMemory) => engines[inMemory](options),
      () => createPgliteEngine("pglite", options),
    );
  if (isPgliteEngineSettings(name)) return createPgliteEngine(name, options);
  if (isServerEngineSettings(name)) return createServerEngine(name, options);
  if (typeof name !== "string" || !Object.prototype.hasOwnProperty.call(engines, name)) {
    throw new InvalidSettingsError(
      "engine",
      name,
      `expected one of ${[...Object.keys(engines), "pglite"].map((e) => `"${e}"`).join(", ")}, or a server: { type: "postgres" | "mysql" | "mariadb", host, port, username, password, database }.`,
    );
  }
  return engines[name as Exclude<EngineName, "pglite">](options);
}
