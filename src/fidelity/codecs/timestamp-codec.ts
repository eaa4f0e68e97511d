import { DateUtils } from "typeorm/util/DateUtils";
import { describeValue, invalidValue, unsupportedValue, type ColumnCodec, type ColumnRef } from "../column-codec";
import type { ProductionDialect } from "../production-profile";

/** How strings are read into instants. */
export type TimestampInput =
  /** TypeORM converts strings itself (dayjs: no offset means local time). */
  | "typeorm"
  /** The string goes to Postgres untouched: no offset means the session time zone, taken as UTC. */
  | "server-utc";

const ISO_TIMESTAMP = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T\s](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i;
// MySQL TIMESTAMP holds 1970-01-01 00:00:01 to 2038-01-19 03:14:07 UTC.
const MYSQL_TIMESTAMP_RANGE = [1000, 2147483647000] as const;

function parseServerUtc(text: string): number | undefined {
  const match = ISO_TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", fraction = "0", zone] = match;
  const millis = Math.round(Number(`0.${fraction}`) * 1000);
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  let time = Date.UTC(...fields, millis);
  const check = new Date(Date.UTC(...fields));
  if (
    check.getUTCMonth() !== fields[1] ||
    check.getUTCDate() !== fields[2] ||
    check.getUTCHours() !== fields[3] ||
    fields[4] > 59 ||
    fields[5] > 59
  ) {
    return NaN;
  }
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    time -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0")) * 60_000;
  }
  return time;
}

// `YYYY-MM-DD HH:MM:SS.mmm`, as TypeORM's mixedDateToUtcDatetimeString prints (d: a digit).
const STORED_FORMAT = "dddd-dd-dd dd:dd:dd.ddd";

function isStoredFormat(text: string): boolean {
  if (text.length !== STORED_FORMAT.length) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const expected = STORED_FORMAT.charCodeAt(i);
    if (expected === 100 /* d */ ? code < 48 || code > 57 : code !== expected) return false;
  }
  return true;
}

/**
 * Timestamps (`timestamptz`, `timestamp`, MySQL `datetime`/`timestamp`): Date in, the same
 * instant out, rounded to the column's fractional-second precision (MySQL's default is whole
 * seconds). Stored as UTC text, the format TypeORM's SQLite driver binds Date parameters in, so
 * comparisons with Date parameters hold.
 */
export class TimestampCodec implements ColumnCodec<number> {
  private readonly precision: number;

  constructor(
    private readonly ref: ColumnRef,
    private readonly dialect: ProductionDialect,
    precision: number | null | undefined,
    private readonly input: TimestampInput,
    private readonly mysqlTimestamp: boolean,
  ) {
    this.precision = precision ?? (dialect === "mysql" ? 0 : 6);
  }

  normalize(value: unknown): number {
    const time = this.read(value);
    if (Number.isNaN(time)) throw invalidValue(this.ref, value, `${describeValue(value)} is not a valid timestamp.`);
    const unit = this.precision >= 3 ? 1 : 10 ** (3 - this.precision);
    const rounded = Math.round(time / unit) * unit;
    if (this.mysqlTimestamp && (rounded < MYSQL_TIMESTAMP_RANGE[0] || rounded > MYSQL_TIMESTAMP_RANGE[1])) {
      throw invalidValue(
        this.ref,
        value,
        `${describeValue(value)} is outside MySQL's TIMESTAMP range (1970-01-01 00:00:01 to 2038-01-19 03:14:07 UTC).`,
      );
    }
    return rounded;
  }

  store(canonical: number): string {
    return DateUtils.mixedDateToUtcDatetimeString(new Date(canonical)) as string;
  }

  load(stored: unknown): number {
    if (typeof stored === "number") return stored;
    if (stored instanceof Date) return stored.getTime();
    let text = String(stored);
    // What store() writes, read without the patterns below (which give it the same T and Z).
    if (isStoredFormat(text)) return Date.parse(`${text.slice(0, 10)}T${text.slice(11)}Z`);
    if (/^\d{4}-\d\d-\d\d \d\d:\d\d/.test(text)) text = text.replace(" ", "T");
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text)) text += "Z";
    return new Date(text).getTime();
  }

  present(canonical: number): Date {
    return new Date(canonical);
  }

  private read(value: unknown): number {
    if (value instanceof Date) return value.getTime();
    if (typeof value !== "string") {
      if (this.dialect === "mysql") throw unsupportedValue(this.ref, value, "pass a Date or an ISO 8601 string.");
      throw invalidValue(this.ref, value, `${describeValue(value)} is not a timestamp.`);
    }
    if (this.input === "typeorm") return (DateUtils.mixedDateToDate(value) as Date).getTime();
    const time = parseServerUtc(value);
    if (time === undefined)
      throw unsupportedValue(
        this.ref,
        value,
        "write timestamps as ISO 8601 strings (or pass a Date); other spellings Postgres parses are not reproduced.",
      );
    return time;
  }
}
