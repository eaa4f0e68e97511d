import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when raw SQL written for the production database uses syntax or functions the test
 * engine does not have (`::jsonb` casts, `ILIKE`, `NOW()`, `ON DUPLICATE KEY UPDATE`, …) and the
 * engine rejected it. The original engine error is the `cause`. Write the statement with the query
 * builder or find options (which generate SQL for the test engine), or in portable SQL.
 *
 * @example
 * ```ts
 * await dataSource.query(`SELECT * FROM "user" WHERE name ILIKE $1`, ["a%"]);
 * // UnsupportedSqlError: … uses ILIKE, which the test engine does not support. Use ILike() …
 * ```
 */
export class UnsupportedSqlError extends SharedReplicationError {
  /** The statement as sent. */
  readonly sql: string;
  /** The construct that is not supported, e.g. `"ILIKE"` or `"now()"`. */
  readonly construct: string;

  constructor(sql: string, construct: string, advice: string, cause: unknown) {
    super(`This statement uses ${construct}, which the test engine does not support: ${sql}\n${advice}`, { cause });
    this.sql = sql;
    this.construct = construct;
  }
}
