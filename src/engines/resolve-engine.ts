import { InvalidSettingsError } from "../errors/invalid-settings-error";
import type { Engine } from "./engine";
import { Sqlite3Engine } from "./sqlite3/sqlite3-engine";

/** Names accepted by the `engine` setting. */
export type EngineName = "sqlite3";

const engines: Record<EngineName, () => Engine> = {
  sqlite3: () => new Sqlite3Engine(),
};

export function resolveEngine(name: unknown): Engine {
  if (typeof name !== "string" || !Object.prototype.hasOwnProperty.call(engines, name)) {
    throw new InvalidSettingsError(
      "engine",
      name,
      `expected one of ${Object.keys(engines)
        .map((e) => `"${e}"`)
        .join(", ")}.`,
    );
  }
  return engines[name as EngineName]();
}
