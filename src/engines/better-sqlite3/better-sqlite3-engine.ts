import { QueryFailedError, type QueryRunner } from "typeorm";
import { IncompatibleTypeOrmError } from "../../errors/incompatible-typeorm-error";
import { SqliteFamilyEngine } from "../sqlite-family/sqlite-family-engine";

interface BetterSqlite3RunnerSurface {
  stmtCache: unknown;
  readonly driver: { readonly databaseConnection: object | undefined };
}

interface BetterSqlite3Package {
  /** better-sqlite3's error class (a public export since its first versions). */
  readonly SqliteError?: unknown;
}

/** In-memory SQLite through the `better-sqlite3` package (`type: "better-sqlite3"`, both TypeORM lines). */
export class BetterSqlite3Engine extends SqliteFamilyEngine {
  /** Prepared statements per physical connection (statements belong to the database that prepared them). */
  private readonly statementCaches = new WeakMap<object, Map<string, unknown>>();

  constructor() {
    super("better-sqlite3");
  }

  /**
   * TypeORM 0.3's better-sqlite3 runner prepares a statement before its `try`, so one the engine
   * cannot prepare (a syntax error, an unknown table or column) escapes as better-sqlite3's own
   * `SqliteError`. It becomes the `QueryFailedError` that 1.x, the other engines and production
   * report, so applications and the fidelity layer see one kind of error for a failed statement.
   */
  statementError(error: unknown, sql: string, parameters: unknown[] | undefined): unknown {
    const { SqliteError } = this.driverPackage as BetterSqlite3Package;
    const escaped = typeof SqliteError === "function" && error instanceof SqliteError;
    return escaped ? new QueryFailedError(sql, parameters, error as Error) : error;
  }

  /**
   * TypeORM's better-sqlite3 runner keeps prepared statements in a per-runner cache, which is
   * effectively per connection because the driver hands out a single runner. Shared runners are
   * created per operation, so each would start cold and prepare every statement again; they share
   * the connection's cache instead, as TypeORM's one runner would.
   */
  prepareRunner(runner: QueryRunner): void {
    const surface = runner as unknown as BetterSqlite3RunnerSurface;
    if (!(surface.stmtCache instanceof Map)) throw new IncompatibleTypeOrmError("BetterSqlite3QueryRunner.stmtCache to be a Map");
    Object.defineProperty(runner, "stmtCache", {
      configurable: true,
      get: () => this.statementCache(surface.driver.databaseConnection),
    });
  }

  private statementCache(connection: object | undefined): Map<string, unknown> {
    // Not connected yet: TypeORM connects before it prepares, so this cache is never filled.
    if (!connection) return new Map();
    let cache = this.statementCaches.get(connection);
    if (!cache) this.statementCaches.set(connection, (cache = new Map()));
    return cache;
  }
}
