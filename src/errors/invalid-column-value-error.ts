import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when a value is written to a column that the production database would reject (a string
 * longer than `varchar(n)`, an integer out of range, a malformed uuid, a numeric that overflows its
 * precision, …). Production fails the statement; the test engine would store the value silently,
 * so it fails before the statement is sent. Fix the value, as production would force you to.
 *
 * @example
 * ```ts
 * await users.save({ name: "x".repeat(101) }); // name is varchar(100): InvalidColumnValueError
 * ```
 */
export class InvalidColumnValueError extends SharedReplicationError {
  /** Name of the entity that declares the column. */
  readonly entity: string;
  /** Property path of the column in the entity. */
  readonly column: string;
  /** The column's production type, e.g. `"varchar(100)"`. */
  readonly columnType: string;
  /** The rejected value, as given. */
  readonly value: unknown;

  constructor(entity: string, column: string, columnType: string, value: unknown, reason: string) {
    super(`Invalid value for ${entity}.${column} (${columnType}): ${reason} Production rejects it too; fix the value.`);
    this.entity = entity;
    this.column = column;
    this.columnType = columnType;
    this.value = value;
  }
}
