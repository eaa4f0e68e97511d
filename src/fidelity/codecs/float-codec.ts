import { describeValue, invalidValue, unsupportedValue, type ColumnRef, PlainNumberCodec } from "../column-codec";
import type { ProductionDialect } from "../production-profile";
import { parseDecimal } from "./decimal";

/** The shortest decimal that reads back as the same 32-bit float: what Postgres prints for `real`. */
function shortestSingle(value: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

/**
 * `real`/`float4`/`double precision`/`float8`, MySQL `float`/`double`: JavaScript numbers.
 * Single precision values come back rounded as production returns them: Postgres prints the
 * shortest decimal of the 32-bit float, MySQL prints FLOAT with 6 significant digits.
 */
export class FloatCodec extends PlainNumberCodec {
  constructor(
    private readonly ref: ColumnRef,
    private readonly dialect: ProductionDialect,
    private readonly single: boolean,
  ) {
    super();
  }

  normalize(value: unknown): number {
    const number = this.read(value);
    if (Number.isNaN(number))
      throw unsupportedValue(this.ref, value, "NaN cannot be stored in the test engine (SQLite stores it as NULL).");
    if (!Number.isFinite(number) && this.dialect === "mysql") throw invalidValue(this.ref, value, "MySQL has no infinite floats.");
    if (!this.single) return number;
    const single = Math.fround(number);
    if (!Number.isFinite(single) && Number.isFinite(number))
      throw invalidValue(this.ref, value, `${describeValue(value)} is out of range for a 4-byte float.`);
    if (!Number.isFinite(single)) return single;
    return this.dialect === "postgres" ? shortestSingle(single) : Number(single.toPrecision(6));
  }

  private read(value: unknown): number {
    if (typeof value === "number") return value;
    if (typeof value === "bigint") return Number(value);
    if (typeof value === "boolean" && this.dialect === "mysql") return value ? 1 : 0;
    if (typeof value === "string") {
      const word = value.trim().toLowerCase();
      if (this.dialect === "postgres" && (word === "nan" || /^[+-]?inf(inity)?$/.test(word))) {
        return word === "nan" ? NaN : word.startsWith("-") ? -Infinity : Infinity;
      }
      if (parseDecimal(value)) return Number(value);
    }
    throw invalidValue(this.ref, value, `${describeValue(value)} is not a number.`);
  }
}
