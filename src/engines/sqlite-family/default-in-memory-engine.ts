import { EngineNotInstalledError } from "../../errors/engine-not-installed-error";
import { runningTypeOrmLine } from "../../typeorm/typeorm-line";
import type { Engine } from "../engine";
import { IN_MEMORY_ENGINES, type InMemoryEngine } from "./in-memory-engines";

/**
 * The engine used when the `engine` setting is not given: the first in-memory engine, in
 * {@link IN_MEMORY_ENGINES} order, that the running TypeORM supports and whose package is installed.
 */
export function defaultInMemoryEngine(create: (name: InMemoryEngine["name"]) => Engine): Engine {
  const line = runningTypeOrmLine();
  const candidates = IN_MEMORY_ENGINES.filter((engine) => line.hasDriver(engine.driverType));
  let firstFailure: unknown;
  for (const candidate of candidates) {
    try {
      return create(candidate.name);
    } catch (error) {
      if (!(error instanceof EngineNotInstalledError)) throw error;
      firstFailure ??= error;
    }
  }
  const first = candidates[0]!;
  throw new EngineNotInstalledError(first.name, first.packageName, firstFailure, { typeormVersion: line.version, engines: candidates });
}
