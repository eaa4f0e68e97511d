import { DateUtils } from "typeorm/util/DateUtils";
import { describeValue, invalidValue, unsupportedValue, type ColumnCodec, type ColumnRef } from "../column-codec";

const ISO_DATE = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?=$|[T\s])/;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/**
 * `date`: `"YYYY-MM-DD"` strings. Dates are written with TypeORM's own conversion (local calendar
 * day, or UTC with `utc: true`), and read back the way production does: the driver builds a
 * local-midnight Date and TypeORM formats it, so `utc: true` shows the same shift it shows in
 * production when the process is not on UTC.
 */
export class DateCodec implements ColumnCodec<string> {
  constructor(
    private readonly ref: ColumnRef,
    private readonly utc: boolean,
  ) {}

  normalize(value: unknown): string {
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw invalidValue(this.ref, value, "the Date is invalid.");
      return DateUtils.mixedDateToDateString(value, { utc: this.utc }) as string;
    }
    if (typeof value !== "string") throw invalidValue(this.ref, value, `${describeValue(value)} is not a date.`);
    const match = ISO_DATE.exec(value);
    if (!match)
      throw unsupportedValue(
        this.ref,
        value,
        `write dates as "YYYY-MM-DD" (or pass a Date); other spellings Postgres and MySQL parse are not reproduced.`,
      );
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const check = new Date(Date.UTC(2000, month - 1, day));
    check.setUTCFullYear(year);
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
      throw invalidValue(this.ref, value, `${describeValue(value)} is not a calendar date.`);
    }
    return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  }

  store(canonical: string): string {
    return canonical;
  }

  load(stored: unknown): string {
    return String(stored);
  }

  present(canonical: string): string {
    const [year, month, day] = canonical.split("-").map(Number) as [number, number, number];
    const local = new Date(2000, month - 1, day);
    local.setFullYear(year);
    return DateUtils.mixedDateToDateString(local, { utc: this.utc }) as string;
  }
}
