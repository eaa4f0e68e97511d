type Callback = (this: unknown, error: Error | null, rows?: unknown) => void;

/** A node-sqlite3 `Statement`: the cache calls its methods through {@link Sqlite3StatementApi}. */
export type Sqlite3Statement = object;

type StatementMethod = (this: Sqlite3Statement, parameters: unknown[], callback: Callback) => unknown;

/** node-sqlite3's `Statement` class and the methods the cache calls on its statements. */
export interface Sqlite3StatementApi {
  readonly Statement: new (database: object, sql: string, callback: (error: Error | null) => void) => Sqlite3Statement;
  readonly all: StatementMethod;
  readonly run: StatementMethod;
  readonly finalize: (this: Sqlite3Statement, callback?: () => void) => unknown;
}

/** The methods of a node-sqlite3 `Database` that the cache takes over on one connection. */
interface CachedDatabase {
  all(...args: unknown[]): unknown;
  run(...args: unknown[]): unknown;
  close(...args: unknown[]): unknown;
}

/** One cached statement. */
interface Entry {
  readonly statement: Sqlite3Statement;
  /**
   * While it is being prepared, the callbacks of the calls queued on it: if it does not prepare,
   * node-sqlite3 drops those calls, and each callback is given the error here instead.
   * `undefined` once prepared.
   */
  waiting: Callback[] | undefined;
  /** Called if it does not prepare (node-sqlite3 then finalizes it itself). */
  onFailure?: () => void;
}

/**
 * Prepared statements kept per connection: one not used among the last this many is finalized.
 * Applications send the same few hundred texts over and over.
 */
const CACHE_LIMIT = 256;

// Statements that halt when they have run (SQLite then no longer counts them as reading). An
// EXPLAIN does not: until it is reset it blocks DROP TABLE ("database table is locked").
const HALTS_WHEN_DONE = /^(?:SELECT|WITH|INSERT|UPDATE|DELETE)\b/i;

// `run` steps a statement once: one that stopped at a row would stay active on the connection
// (holding its read of the database) until its next use. TypeORM sends `run` for texts that start
// with INSERT, UPDATE or DELETE; those with RETURNING are left to node-sqlite3, which finalizes them.
const WRITE_WITHOUT_ROWS = /^(?:INSERT|UPDATE|DELETE) (?![\s\S]*returning)/i;

/**
 * Keeps the statements TypeORM's SQLite runner sends prepared on the connection, as TypeORM's own
 * better-sqlite3 runner does. node-sqlite3's `Database#all` and `#run` prepare the text in one trip
 * to its thread pool, run it in a second and finalize it; a prepared statement runs in one trip.
 * Results, `lastID`, `changes` and errors are node-sqlite3's own: the same statement is run with
 * the same parameters, its bindings cleared first, and one that failed is prepared afresh.
 *
 * Only calls shaped as TypeORM's runner makes them (a text, a non-empty parameter array, a
 * callback) are served from the cache: a statement run without parameters would keep the previous
 * call's values bound. Only queries and writes are: they leave nothing active on the connection
 * once they have run. Statements are finalized before the connection closes, which SQLite
 * requires.
 */
export class Sqlite3StatementCache {
  private readonly entries = new Map<string, Entry>();
  private closing = false;

  private constructor(
    private readonly database: CachedDatabase,
    private readonly api: Sqlite3StatementApi,
  ) {}

  /** Serves `database`'s `all` and `run` from prepared statements, until it closes. */
  static install(database: object, api: Sqlite3StatementApi): void {
    const connection = database as CachedDatabase;
    const cache = new Sqlite3StatementCache(connection, api);
    const { all, run, close } = connection;
    connection.all = (...args: unknown[]) => (cache.serves(args) ? cache.execute(api.all, args) : all.apply(connection, args));
    connection.run = (...args: unknown[]) =>
      cache.serves(args) && WRITE_WITHOUT_ROWS.test(args[0] as string) ? cache.execute(api.run, args) : run.apply(connection, args);
    connection.close = (...args: unknown[]) => {
      // From here on node-sqlite3 serves every call itself: a statement prepared now would stop the close.
      cache.closing = true;
      cache.finalizeAll(() => close.apply(connection, args));
      return connection;
    };
  }

  /** A call shaped as TypeORM's runner makes it, `(sql, parameters, callback)` with parameters, while the connection is open. */
  private serves(args: unknown[]): boolean {
    if (this.closing || args.length !== 3 || typeof args[0] !== "string" || typeof args[2] !== "function") return false;
    return Array.isArray(args[1]) && args[1].length > 0 && HALTS_WHEN_DONE.test(args[0]);
  }

  private execute(method: StatementMethod, args: unknown[]): CachedDatabase {
    const sql = args[0] as string;
    const callback = args[2] as Callback;
    const entry = this.entryFor(sql);
    entry.waiting?.push(callback);
    const discard = () => this.discard(sql, entry);
    // A function, not an arrow: node-sqlite3 calls it on the statement, whose lastID and changes TypeORM reads.
    method.call(entry.statement, args[1] as unknown[], function (this: unknown, error, rows) {
      if (error) discard();
      callback.call(this, error, rows);
    });
    return this.database;
  }

  /** The entry of `sql`, made the most recently used; a new one starts preparing here. */
  private entryFor(sql: string): Entry {
    const cached = this.entries.get(sql);
    if (cached) {
      this.entries.delete(sql);
      this.entries.set(sql, cached);
      return cached;
    }
    const waiting: Callback[] = [];
    const entry: Entry = {
      waiting,
      statement: new this.api.Statement(this.database, sql, (error) => {
        entry.waiting = undefined;
        if (!error) return;
        if (this.entries.get(sql) === entry) this.entries.delete(sql);
        for (const callback of waiting) callback(error);
        entry.onFailure?.();
      }),
    };
    if (this.entries.size >= CACHE_LIMIT) {
      const [oldestSql, oldest] = this.entries.entries().next().value!;
      this.discard(oldestSql, oldest);
    }
    this.entries.set(sql, entry);
    return entry;
  }

  /** Forgets and finalizes `entry`; node-sqlite3 finalizes it once the calls queued on it ran. */
  private discard(sql: string, entry: Entry): void {
    if (this.entries.get(sql) !== entry) return;
    this.entries.delete(sql);
    this.api.finalize.call(entry.statement);
  }

  /** SQLite refuses to close a connection with statements left: every cached one is finalized first. */
  private finalizeAll(then: () => void): void {
    const entries = [...this.entries.values()];
    this.entries.clear();
    let left = entries.length;
    if (left === 0) return then();
    const done = () => {
      if (--left === 0) then();
    };
    for (const entry of entries) {
      // Exactly one of the two is called: a statement that does not prepare drops the queued finalization.
      entry.onFailure = done;
      this.api.finalize.call(entry.statement, done);
    }
  }
}
