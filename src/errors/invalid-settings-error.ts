import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown by the `SharedReplicationDataSource` constructor when the application options or the
 * settings cannot be used. Nothing has been created when it is thrown.
 *
 * @example
 * ```ts
 * new SharedReplicationDataSource(appOptions, { replicas: -1 }); // InvalidSettingsError
 * ```
 */
export class InvalidSettingsError extends SharedReplicationError {
  /** The setting that was rejected, e.g. `"replicas"`, or `"options"` for the application options. */
  readonly setting: string;
  /** The rejected value, as given. */
  readonly value: unknown;

  constructor(setting: string, value: unknown, reason: string) {
    super(`Invalid ${setting === "options" ? "application options" : `setting "${setting}"`}: ${reason}`);
    this.setting = setting;
    this.value = value;
  }
}
