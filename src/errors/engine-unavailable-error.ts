import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when an installed engine cannot run in this process, with what to change: the `"pglite"`
 * engine under Jest without Node's `--experimental-vm-modules` (Jest runs test files in a VM
 * context, where PGlite's own dynamic `import()` of Node modules fails). With no `engine` setting,
 * a Postgres application then runs on SQLite instead, with a warning.
 *
 * @example
 * ```sh
 * NODE_OPTIONS=--experimental-vm-modules npx jest   # PGlite under Jest
 * ```
 */
export class EngineUnavailableError extends SharedReplicationError {
  /** The engine that was asked for, e.g. `"pglite"`. */
  readonly engine: string;
  /** Why it cannot run here. */
  readonly reason: string;

  constructor(engine: string, reason: string) {
    super(`The "${engine}" engine cannot run in this process: ${reason}`);
    this.engine = engine;
    this.reason = reason;
  }
}
