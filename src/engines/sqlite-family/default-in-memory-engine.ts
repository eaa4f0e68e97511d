import type { DataSourceOptions } from "typeorm";
import { applicationFamily } from "../../data-source/application-type";
import { EngineNotInstalledError } from "../../errors/engine-not-installed-error";
import { EngineUnavailableError } from "../../errors/engine-unavailable-error";
import { runningTypeOrmLine } from "../../typeorm/typeorm-line";
import type { Engine } from "../engine";
import { PGLITE_PACKAGE } from "../pglite/pglite-package";
import { IN_MEMORY_ENGINES, type InMemoryEngine } from "./in-memory-engines";

/**
 * The engine used when the `engine` setting is not given. A Postgres application runs on PGlite
 * (real Postgres, in process) when `@electric-sql/pglite` is installed; otherwise, and for every
 * other application, on the first in-memory SQLite engine, in {@link IN_MEMORY_ENGINES} order,
 * that the running TypeORM supports and whose package is installed.
 */
export function defaultEngine(
  options: DataSourceOptions,
  create: (name: InMemoryEngine["name"]) => Engine,
  createPglite: () => Engine,
): Engine {
  if (applicationFamily(options.type) !== "postgres") return defaultInMemoryEngine(create);
  let pgliteMissing: EngineNotInstalledError | undefined;
  try {
    return createPglite();
  } catch (error) {
    if (error instanceof EngineUnavailableError) {
      warnPgliteUnavailable(error);
    } else {
      // PGlite installed but `pg` missing is an error to fix, not a reason to fall back to SQLite.
      if (!(error instanceof EngineNotInstalledError) || error.packageName !== PGLITE_PACKAGE) throw error;
      pgliteMissing = error;
    }
  }
  return defaultInMemoryEngine(create, pgliteMissing);
}

/**
 * The first in-memory SQLite engine, in {@link IN_MEMORY_ENGINES} order, that the running TypeORM
 * supports and whose package is installed. `pglite`: a Postgres application, for which PGlite was
 * tried first; the error then names it first.
 */
export function defaultInMemoryEngine(create: (name: InMemoryEngine["name"]) => Engine, pglite?: EngineNotInstalledError): Engine {
  const line = runningTypeOrmLine();
  const candidates = IN_MEMORY_ENGINES.filter((engine) => line.hasDriver(engine.driverType));
  let firstFailure: unknown = pglite;
  for (const candidate of candidates) {
    try {
      return create(candidate.name);
    } catch (error) {
      if (!(error instanceof EngineNotInstalledError)) throw error;
      firstFailure ??= error;
    }
  }
  const tried = pglite ? [{ name: "pglite", packageName: PGLITE_PACKAGE }, ...candidates] : candidates;
  const first = tried[0]!;
  throw new EngineNotInstalledError(first.name, first.packageName, firstFailure, { typeormVersion: line.version, engines: tried });
}

let warnedPgliteUnavailable = false;

/** Once per process: a Postgres application runs on SQLite although PGlite is installed. */
function warnPgliteUnavailable(error: EngineUnavailableError): void {
  if (warnedPgliteUnavailable) return;
  warnedPgliteUnavailable = true;
  process.emitWarning(`typeorm-shared-replication: running the Postgres application on SQLite instead of PGlite. ${error.message}`, {
    code: "TYPEORM_SHARED_REPLICATION_PGLITE_UNAVAILABLE",
  });
}
