import { InvalidColumnValueError } from "../errors/invalid-column-value-error";
import { UnsupportedColumnValueError } from "../errors/unsupported-column-value-error";

/** Names a column in error messages. */
export interface ColumnRef {
  readonly entity: string;
  readonly column: string;
  /** The production type as declared, with its length or precision, e.g. `"varchar(100)"`. */
  readonly type: string;
}

/**
 * How one column's values travel between the application, the production database and the test
 * engine. A value is first normalised to what the production database would hand back for it
 * (its canonical form: validated, rounded, padded, lowercased, …), then stored in the engine's
 * representation; reading reverses the storage step and presents the canonical form the way the
 * production driver does (`pg`, `mysql2`, plus TypeORM's own hydration).
 */
export interface ColumnCodec<C = unknown> {
  /** Validates `value` as production would and returns what production would give back. */
  normalize(value: unknown): C;
  /** Reads a SQL string literal (a `default`) as production parses it; `normalize` when absent. */
  fromSqlText?(text: string): C;
  /** The engine representation of a canonical value. */
  store(canonical: C): unknown;
  /** The canonical value of what the engine returned. */
  load(stored: unknown): C;
  /** The JavaScript value the production driver returns for a canonical value. */
  present(canonical: C): unknown;
}

/** A codec whose canonical number is stored, read and returned as it is: only `normalize` differs. */
export abstract class PlainNumberCodec implements ColumnCodec<number> {
  abstract normalize(value: unknown): number;

  store(canonical: number): number {
    return canonical;
  }

  load(stored: unknown): number {
    return Number(stored);
  }

  present(canonical: number): number {
    return canonical;
  }
}

/** A codec whose canonical string is stored, read and returned as it is: only `normalize` differs. */
export abstract class PlainTextCodec implements ColumnCodec<string> {
  abstract normalize(value: unknown): string;

  store(canonical: string): string {
    return canonical;
  }

  load(stored: unknown): string {
    return String(stored);
  }

  present(canonical: string): string {
    return canonical;
  }
}

export function invalidValue(ref: ColumnRef, value: unknown, reason: string): InvalidColumnValueError {
  return new InvalidColumnValueError(ref.entity, ref.column, ref.type, value, reason);
}

export function unsupportedValue(ref: ColumnRef, value: unknown, reason: string): UnsupportedColumnValueError {
  return new UnsupportedColumnValueError(ref.entity, ref.column, ref.type, value, reason);
}

/** A short rendering of a value for messages. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (Buffer.isBuffer(value)) return `<Buffer ${value.length} bytes>`;
  if (typeof value === "object" && value !== null) return Array.isArray(value) ? "an array" : "an object";
  return String(value);
}
