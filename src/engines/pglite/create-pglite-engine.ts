import type { DataSourceOptions } from "typeorm";
import { applicationFamily } from "../../data-source/application-type";
import { InvalidSettingsError } from "../../errors/invalid-settings-error";
import type { PgliteEngineSettings } from "./pglite-engine-settings";
import { PgliteEngine } from "./pglite-engine";

/**
 * The `"pglite"` engine for `options`, a Postgres application's (`postgres`, `aurora-postgres`:
 * TypeORM's `postgres` driver generates the SQL aurora-postgres' driver does). Other applications
 * are refused: TypeORM would write Postgres SQL for a database that is not Postgres in production.
 */
export function createPgliteEngine(settings: "pglite" | PgliteEngineSettings, options: DataSourceOptions): PgliteEngine {
  const family = applicationFamily(options.type);
  if (family !== "postgres") {
    throw new InvalidSettingsError(
      "engine",
      settings,
      `PGlite is Postgres: a ${JSON.stringify(options.type)} application cannot run on it, as TypeORM would write Postgres SQL, not your production database's. ` +
        (family === "sqlite"
          ? "Leave engine unset to run on in-memory SQLite."
          : 'Use a server engine ({ type: "mysql" | "mariadb", … }), or leave engine unset to run on SQLite with production fidelity.'),
    );
  }
  return new PgliteEngine(settings === "pglite" ? { type: "pglite" } : settings);
}
