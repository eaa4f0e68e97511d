import { describeValue, invalidValue, type ColumnRef, PlainNumberCodec } from "../column-codec";
import type { ProductionDialect } from "../production-profile";
import { decimalFrom, integerPart, roundToScale } from "./decimal";

/** Inclusive bounds of an integer type. */
export interface IntegerRange {
  readonly min: bigint;
  readonly max: bigint;
}

export function signedRange(bits: number): IntegerRange {
  return { min: -(2n ** BigInt(bits - 1)), max: 2n ** BigInt(bits - 1) - 1n };
}

export function unsignedRange(bits: number): IntegerRange {
  return { min: 0n, max: 2n ** BigInt(bits) - 1n };
}

const PG_INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;

/**
 * Reads an integer the way the production database does: Postgres rejects anything with a
 * fractional part or an exponent (`pg` sends numbers as text); MySQL rounds half away from zero and
 * takes booleans as 1 and 0. Both reject values outside the type's range.
 */
export function parseInteger(ref: ColumnRef, dialect: ProductionDialect, range: IntegerRange, value: unknown): bigint {
  let result: bigint | undefined;
  if (typeof value === "boolean") {
    if (dialect === "mysql") result = value ? 1n : 0n;
  } else if (dialect === "postgres") {
    const text = typeof value === "string" ? value : typeof value === "number" || typeof value === "bigint" ? String(value) : undefined;
    if (text !== undefined && PG_INTEGER_TEXT.test(text)) result = BigInt(text.trim());
  } else {
    const decimal = decimalFrom(value);
    if (decimal) result = integerPart(roundToScale(decimal, 0));
  }
  if (result === undefined) throw invalidValue(ref, value, `${describeValue(value)} is not an integer.`);
  if (result < range.min || result > range.max) {
    throw invalidValue(ref, value, `${describeValue(value)} is out of range (${range.min} to ${range.max}).`);
  }
  return result;
}

/** `smallint`, `integer`, MySQL `tinyint`/`mediumint`/`int`: JavaScript numbers. */
export class IntegerCodec extends PlainNumberCodec {
  private readonly min: number;
  private readonly max: number;

  constructor(
    private readonly ref: ColumnRef,
    private readonly dialect: ProductionDialect,
    private readonly range: IntegerRange,
  ) {
    super();
    this.min = Number(range.min);
    this.max = Number(range.max);
  }

  normalize(value: unknown): number {
    // A safe integer in range reads the same in both dialects: no text to parse (`+ 0` makes -0 the 0 pg would send).
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= this.min && value <= this.max) return value + 0;
    return Number(parseInteger(this.ref, this.dialect, this.range, value));
  }
}
