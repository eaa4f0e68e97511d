import { EngineNotInstalledError } from "../errors/engine-not-installed-error";

/** Loads a database driver package, or says how to install it. */
export function loadDriverPackage<T>(engine: string, packageName: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(packageName) as T;
  } catch (error) {
    throw new EngineNotInstalledError(engine, packageName, error);
  }
}
