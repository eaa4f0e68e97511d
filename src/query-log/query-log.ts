import { InvalidSettingsError } from "../errors/invalid-settings-error";
import type { QueryLogEntry } from "./query-log-entry";

/** The statements one call of {@link QueryLog.capture} saw, and what the function returned. */
export interface CapturedQueries<T> {
  readonly result: T;
  readonly queries: readonly QueryLogEntry[];
}

/**
 * The statements executed through a SharedReplicationDataSource, newest last. It keeps the last
 * `capacity` entries (setting `queryLogSize`, default 1000) so long suites stay flat in memory;
 * {@link QueryLog.capture} keeps everything a function caused, however many.
 *
 * @example
 * ```ts
 * const { queries } = await dataSource.queryLog.capture(() => users.findOneBy({ id }));
 * expect(queries.map((q) => q.role)).to.deep.equal(["slave"]);
 * ```
 */
export class QueryLog {
  private readonly ring: (QueryLogEntry | undefined)[];
  private next = 0;
  private count = 0;
  private readonly captures = new Set<QueryLogEntry[]>();

  /** @param capacity how many entries {@link QueryLog.entries} keeps; 0 keeps none. */
  constructor(readonly capacity: number) {
    this.ring = new Array<QueryLogEntry | undefined>(capacity);
  }

  /** Number of entries held (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** The held entries, oldest first. */
  entries(): QueryLogEntry[] {
    const out: QueryLogEntry[] = [];
    const start = (this.next - this.count + this.capacity) % Math.max(this.capacity, 1);
    for (let i = 0; i < this.count; i++) out.push(this.ring[(start + i) % this.capacity]!);
    return out;
  }

  /** Forgets the held entries (captures in progress are unaffected). */
  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
    this.count = 0;
  }

  /**
   * Runs `fn` and returns every statement executed through this DataSource while it ran, from any
   * async context (HTTP handlers included), together with its result. Statements of other code
   * running concurrently are included too, as with Django's `assertNumQueries`.
   */
  async capture<T>(fn: () => T | Promise<T>): Promise<CapturedQueries<Awaited<T>>> {
    if (typeof fn !== "function")
      throw new InvalidSettingsError("fn", fn, "queryLog.capture(fn) takes the function whose statements to capture.");
    const queries: QueryLogEntry[] = [];
    this.captures.add(queries);
    try {
      const result = await fn();
      return { result, queries };
    } finally {
      this.captures.delete(queries);
    }
  }

  /** @internal */
  record(entry: QueryLogEntry): void {
    for (const capture of this.captures) capture.push(entry);
    if (this.capacity === 0) return;
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }
}
