import { describeValue, invalidValue, unsupportedValue, type ColumnCodec, type ColumnRef } from "../column-codec";
import type { ProductionDialect, ProductionProfile } from "../production-profile";
import { decimalFrom, formatDecimal, integerDigitCount, parseDecimal, roundToScale, significantDigitCount, type Decimal } from "./decimal";

/** What a double holds exactly: the engine stores numeric as REAL so comparisons and ORDER BY stay numeric. */
const MAX_SIGNIFICANT_DIGITS = 15;

/**
 * `numeric`/`decimal`: decimal strings, as `pg` and mysql2 return them, rounded to the column's
 * scale (half away from zero) and rejected when they overflow its precision. The engine stores
 * them as numbers so SQL comparisons and ordering stay numeric; values with more than 15
 * significant digits would lose digits there and are refused instead.
 */
export class DecimalCodec implements ColumnCodec<string> {
  private readonly precision: number | undefined;
  private readonly scale: number | undefined;

  constructor(
    private readonly ref: ColumnRef,
    private readonly dialect: ProductionDialect,
    precision: number | null | undefined,
    scale: number | undefined,
    private readonly profile: ProductionProfile,
  ) {
    // MySQL's DECIMAL is DECIMAL(10,0); Postgres' bare numeric keeps every value's own scale.
    this.precision = precision ?? (dialect === "mysql" ? 10 : undefined);
    this.scale = this.precision === undefined ? undefined : (scale ?? 0);
  }

  normalize(value: unknown): string {
    const decimal = typeof value === "boolean" && this.dialect === "mysql" ? decimalFrom(value ? 1 : 0) : decimalFrom(value);
    if (!decimal) {
      if (typeof value === "string" && /^\s*[+-]?(nan|infinity|inf)\s*$/i.test(value)) {
        throw unsupportedValue(this.ref, value, "NaN and Infinity cannot be stored in the test engine's numeric storage.");
      }
      throw invalidValue(this.ref, value, `${describeValue(value)} is not a number.`);
    }
    if (this.precision === undefined || this.scale === undefined)
      return formatDecimal(decimal.exponent > 0 ? roundToScale(decimal, 0) : decimal);
    const rounded = roundToScale(decimal, this.scale);
    if (integerDigitCount(rounded) > this.precision - this.scale) {
      throw invalidValue(
        this.ref,
        value,
        `numeric field overflow: precision ${this.precision}, scale ${this.scale} allows at most ${this.precision - this.scale} digits before the decimal point.`,
      );
    }
    return formatDecimal(rounded);
  }

  store(canonical: string): number {
    const decimal = parseDecimal(canonical) as Decimal;
    if (significantDigitCount(decimal) > MAX_SIGNIFICANT_DIGITS) {
      throw unsupportedValue(
        this.ref,
        canonical,
        `${canonical} has more than ${MAX_SIGNIFICANT_DIGITS} significant digits; the test engine stores numeric values as ` +
          `doubles so that comparisons and ORDER BY stay numeric. Use values with at most ${MAX_SIGNIFICANT_DIGITS} significant digits in tests.`,
      );
    }
    const loaded = this.load(Number(canonical));
    if (loaded !== canonical) {
      throw unsupportedValue(
        this.ref,
        canonical,
        `Postgres keeps the scale of each value of an unconstrained numeric column ("${canonical}"), the test engine would ` +
          `return "${loaded}". Declare the column's precision and scale, or write the value without trailing zeros.`,
      );
    }
    return Number(canonical);
  }

  load(stored: unknown): string {
    const decimal = decimalFrom(typeof stored === "number" ? stored : String(stored));
    if (!decimal) return String(stored);
    return formatDecimal(
      this.scale === undefined ? (decimal.exponent > 0 ? roundToScale(decimal, 0) : decimal) : roundToScale(decimal, this.scale),
    );
  }

  present(canonical: string): string | number {
    return this.profile.decimalAsNumber ? Number(canonical) : canonical;
  }
}
