import { InvalidSettingsError } from "../../errors/invalid-settings-error";

/**
 * How far replicas fall behind the master (the `replicaLag` setting, and `setReplicaLag`).
 *
 * - `"none"`: replicas serve reads from the master's data and see every write at once, even
 *   inside a transaction that is still open (the shared mode).
 * - `"manual"`: each replica holds a copy that shows the master's commits only once
 *   `syncReplicas()` carries them over, as libSQL's embedded replicas do on `sync()`.
 * - `{ syncIntervalMs }`: each replica carries the master's commits over on its own interval, in
 *   milliseconds (one number for all replicas, or one per replica), as libSQL's `syncInterval`.
 *   Time is read from `Date.now()`, so fake timers (sinon, Jest, Vitest) control it.
 */
export type ReplicaLag = "none" | "manual" | { readonly syncIntervalMs: number | readonly number[] };

/** A {@link ReplicaLag} checked against the replica count: the interval of every replica, if any. */
export type ResolvedLag =
  | { readonly kind: "none" }
  | { readonly kind: "manual" }
  | { readonly kind: "interval"; readonly intervals: readonly number[] };

const EXPECTED = `expected "none", "manual" or { syncIntervalMs: <positive integer> | <one positive integer per replica> }`;

/**
 * Checks `lag` and gives every replica its interval.
 *
 * @throws InvalidSettingsError for anything else, or for lag with no replica to lag.
 */
export function resolveReplicaLag(lag: unknown, replicas: number, setting = "replicaLag"): ResolvedLag {
  if (lag === undefined || lag === "none") return { kind: "none" };
  if (replicas === 0) {
    throw new InvalidSettingsError(
      setting,
      lag,
      "there are no replicas to lag: give the application's options replication.slaves, or set replicas: <count>.",
    );
  }
  if (lag === "manual") return { kind: "manual" };
  if (typeof lag !== "object" || lag === null || Array.isArray(lag) || Object.keys(lag).some((key) => key !== "syncIntervalMs")) {
    throw new InvalidSettingsError(setting, lag, `${EXPECTED}, got ${describe(lag)}.`);
  }
  const interval = (lag as { syncIntervalMs?: unknown }).syncIntervalMs;
  const intervals = Array.isArray(interval) ? interval : [interval];
  if (Array.isArray(interval) && interval.length !== replicas) {
    throw new InvalidSettingsError(
      setting,
      lag,
      `syncIntervalMs lists ${interval.length} interval${interval.length === 1 ? "" : "s"} for ${replicas} replica${replicas === 1 ? "" : "s"}: give one per replica, or one number for all.`,
    );
  }
  for (const value of intervals) {
    if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
      throw new InvalidSettingsError(
        setting,
        lag,
        `syncIntervalMs must be a positive integer number of milliseconds, got ${describe(value)}.`,
      );
    }
  }
  const each = intervals as number[];
  return { kind: "interval", intervals: Array.isArray(interval) ? [...each] : Array.from({ length: replicas }, () => each[0]!) };
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}
