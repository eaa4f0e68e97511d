import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when the database driver package an engine needs cannot be loaded. The message gives the
 * command that installs it.
 */
export class EngineNotInstalledError extends SharedReplicationError {
  /** The engine that was asked for, e.g. `"sqlite3"`. */
  readonly engine: string;
  /** The npm package that is missing. */
  readonly packageName: string;
  /** The command that installs it. */
  readonly installCommand: string;

  constructor(engine: string, packageName: string, cause: unknown) {
    const installCommand = `npm install --save-dev ${packageName}`;
    super(`The "${engine}" engine needs the "${packageName}" package, which could not be loaded. Install it: ${installCommand}`, {
      cause,
    });
    this.engine = engine;
    this.packageName = packageName;
    this.installCommand = installCommand;
  }
}
