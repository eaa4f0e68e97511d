import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown by `installReplicaRouting`, `replicaPinning` and `withReplicaPinning` when an option
 * cannot be used: an unknown replica selection strategy, non-positive pinning seconds, a missing
 * or short pinning secret, a cookie name a browser would not send back. Nothing has been
 * installed when it is thrown; fix the option named in {@link InvalidRoutingOptionError.option}.
 *
 * @example
 * ```ts
 * replicaPinning({ secret, seconds: 0 }); // InvalidRoutingOptionError: option "seconds" …
 * ```
 */
export class InvalidRoutingOptionError extends SharedReplicationError {
  /** The rejected option, e.g. `"select"` or `"seconds"`. */
  readonly option: string;
  /** The rejected value, as given. */
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string) {
    super(`Invalid routing option "${option}" (${describe(value)}): expected ${expected}.`);
    this.option = option;
    this.value = value;
  }
}

function describe(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}
