import { SharedReplicationError } from "./shared-replication-error";

/** An engine the running TypeORM can use instead, and the package it needs. */
export interface EngineAlternative {
  readonly name: string;
  readonly packageName: string;
}

/**
 * Thrown when the `engine` setting names an engine whose TypeORM driver the running TypeORM does
 * not have: `"sqlite3"` needs TypeORM 0.3's `type: "sqlite"`, which TypeORM 1.x removed. The
 * message names the engines that work with the running TypeORM and how to install them.
 *
 * @example
 * ```ts
 * // On TypeORM 1.x:
 * new SharedReplicationDataSource(productionOptions, { engine: "sqlite3" }); // EngineNotSupportedError
 * new SharedReplicationDataSource(productionOptions, { engine: "better-sqlite3" }); // works
 * ```
 */
export class EngineNotSupportedError extends SharedReplicationError {
  /** The engine that was asked for, e.g. `"sqlite3"`. */
  readonly engine: string;
  /** The TypeORM driver type the engine needs, e.g. `"sqlite"`. */
  readonly driverType: string;
  /** The version of the running TypeORM. */
  readonly typeormVersion: string;
  /** Engines the running TypeORM supports, e.g. `["better-sqlite3", "sqljs"]`. */
  readonly supportedEngines: readonly string[];

  constructor(engine: string, driverType: string, typeormVersion: string, alternatives: readonly EngineAlternative[]) {
    const options = alternatives.map((a) => `"${a.name}" (npm install --save-dev ${a.packageName})`).join(" or ");
    super(
      `The "${engine}" engine needs TypeORM's "${driverType}" driver, which TypeORM ${typeormVersion} does not have. ` +
        `Set engine to ${options}, or use a TypeORM version that has the "${driverType}" driver.`,
    );
    this.engine = engine;
    this.driverType = driverType;
    this.typeormVersion = typeormVersion;
    this.supportedEngines = alternatives.map((a) => a.name);
  }
}
