import { DateUtils } from "typeorm/util/DateUtils";
import { describeValue, invalidValue, unsupportedValue, type ColumnCodec, type ColumnRef } from "../column-codec";
import type { ProductionDialect } from "../production-profile";

const TIME_TEXT = /^\s*(\d{1,3}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?\s*$/;
const MICROS_PER_SECOND = 1_000_000;

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/**
 * `time`: `"HH:MM:SS"` strings, fractional seconds rounded to the column's precision (Postgres
 * default 6, trailing zeros dropped; MySQL default 0, exactly `fsp` digits).
 */
export class TimeCodec implements ColumnCodec<string> {
  private readonly precision: number;

  constructor(
    private readonly ref: ColumnRef,
    private readonly dialect: ProductionDialect,
    precision: number | null | undefined,
  ) {
    this.precision = Math.min(precision ?? (dialect === "mysql" ? 0 : 6), 6);
  }

  normalize(value: unknown): string {
    const text = value instanceof Date ? (DateUtils.mixedDateToTimeString(value) as string) : value;
    if (typeof text !== "string") throw invalidValue(this.ref, value, `${describeValue(value)} is not a time.`);
    const match = TIME_TEXT.exec(text);
    if (!match) throw unsupportedValue(this.ref, value, `write times as "HH:MM[:SS[.ffffff]]"; other spellings are not reproduced.`);
    const [hours, minutes, seconds] = [Number(match[1]), Number(match[2]), Number(match[3] ?? "0")];
    const fraction = Number(`0.${match[4] ?? "0"}`);
    const maxHours = this.dialect === "mysql" ? 838 : 24;
    if (hours > maxHours || minutes > 59 || seconds > 59)
      throw invalidValue(this.ref, value, `${describeValue(value)} is not a valid time.`);
    const unit = 10 ** (6 - this.precision);
    const micros =
      Math.round((((hours * 60 + minutes) * 60 + seconds) * MICROS_PER_SECOND) / unit + (fraction * MICROS_PER_SECOND) / unit) * unit;
    if (this.dialect === "postgres" && micros > 24 * 3600 * MICROS_PER_SECOND)
      throw invalidValue(this.ref, value, `${describeValue(value)} is after 24:00:00.`);
    return this.format(micros);
  }

  store(canonical: string): string {
    return canonical;
  }

  load(stored: unknown): string {
    // Database defaults (`strftime('%H:%M:%f')`) write fixed milliseconds; production prints its own format.
    return this.normalize(String(stored));
  }

  present(canonical: string): string {
    return canonical;
  }

  private format(micros: number): string {
    const totalSeconds = Math.floor(micros / MICROS_PER_SECOND);
    const base = `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}`;
    const fraction = String(micros % MICROS_PER_SECOND).padStart(6, "0");
    if (this.dialect === "mysql") return this.precision === 0 ? base : `${base}.${fraction.slice(0, this.precision)}`;
    const trimmed = fraction.replace(/0+$/, "");
    return trimmed ? `${base}.${trimmed}` : base;
  }
}
