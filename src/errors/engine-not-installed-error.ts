import type { EngineAlternative } from "./engine-not-supported-error";
import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when the database driver package an engine needs cannot be loaded, or, when no `engine`
 * is set, when none of the in-memory engines the running TypeORM supports is installed. The
 * message gives the command that installs it.
 */
export class EngineNotInstalledError extends SharedReplicationError {
  /** The engine that was asked for (or, with no `engine` setting, the first one tried), e.g. `"sqlite3"`. */
  readonly engine: string;
  /** The npm package that is missing. */
  readonly packageName: string;
  /** The command that installs it. */
  readonly installCommand: string;

  /**
   * @param tried with no `engine` setting: every engine that was tried, first one first.
   */
  constructor(
    engine: string,
    packageName: string,
    cause: unknown,
    tried?: { typeormVersion: string; engines: readonly EngineAlternative[] },
  ) {
    const installCommand = `npm install --save-dev ${packageName}`;
    const others = tried?.engines.slice(1).map((e) => `npm install --save-dev ${e.packageName}`);
    super(
      tried
        ? `No in-memory engine that TypeORM ${tried.typeormVersion} supports is installed (tried ${tried.engines.map((e) => `"${e.name}"`).join(", ")}). ` +
            `Install one: ${[installCommand, ...others!].join(", or ")}`
        : `The "${engine}" engine needs the "${packageName}" package, which could not be loaded. Install it: ${installCommand}`,
      { cause },
    );
    this.engine = engine;
    this.packageName = packageName;
    this.installCommand = installCommand;
  }
}
