import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when a value that production accepts cannot be stored in the test engine without reading
 * back something different (a `bigint` beyond `Number.MAX_SAFE_INTEGER`, a `numeric` with more
 * than 15 significant digits, a date in a format only Postgres parses, …). The message says which
 * form of the value would work.
 *
 * @example
 * ```ts
 * await ledger.save({ total: "12345678901234567.89" }); // numeric(20,2): UnsupportedColumnValueError
 * ```
 */
export class UnsupportedColumnValueError extends SharedReplicationError {
  /** Name of the entity that declares the column. */
  readonly entity: string;
  /** Property path of the column in the entity. */
  readonly column: string;
  /** The column's production type, e.g. `"numeric(20,2)"`. */
  readonly columnType: string;
  /** The value, as given. */
  readonly value: unknown;

  constructor(entity: string, column: string, columnType: string, value: unknown, reason: string) {
    super(`Cannot store the value given for ${entity}.${column} (${columnType}) faithfully in the test engine: ${reason}`);
    this.entity = entity;
    this.column = column;
    this.columnType = columnType;
    this.value = value;
  }
}
