/**
 * An exact decimal number: `(negative ? -1 : 1) × digits × 10^exponent`. Numeric columns are
 * rounded and formatted on this form, never on JavaScript floats, so `"0.125"` rounds the way the
 * database rounds it.
 */
export interface Decimal {
  readonly negative: boolean;
  /** Unsigned digits without leading zeros (`0n` for zero). */
  readonly digits: bigint;
  readonly exponent: number;
}

const MAX_EXPONENT = 1000;
const DECIMAL_TEXT = /^\s*([+-])?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?\s*$/;

/** Parses decimal text (`"-12.50"`, `"1e3"`, `" 7 "`); `undefined` when it is not a number. */
export function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return undefined;
  const integer = match[2] ?? "";
  const fraction = match[3] ?? match[4] ?? "";
  const exponent = Number(match[5] ?? "0") - fraction.length;
  // Far beyond any column's range; bounding it keeps 10n ** exponent cheap.
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > MAX_EXPONENT) return undefined;
  return { negative: match[1] === "-", digits: BigInt(integer + fraction || "0"), exponent };
}

/** The decimal a JavaScript number, bigint or numeric string denotes; `undefined` for anything else. */
export function decimalFrom(value: unknown): Decimal | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? parseDecimal(String(value)) : undefined;
  if (typeof value === "bigint") return { negative: value < 0n, digits: value < 0n ? -value : value, exponent: 0 };
  if (typeof value === "string") return parseDecimal(value);
  return undefined;
}

/** Rounds to `scale` fractional digits, half away from zero (as Postgres and MySQL do for numeric). */
export function roundToScale(value: Decimal, scale: number): Decimal {
  if (value.exponent >= -scale) {
    return { ...value, digits: value.digits * 10n ** BigInt(value.exponent + scale), exponent: -scale };
  }
  const divisor = 10n ** BigInt(-scale - value.exponent);
  let digits = value.digits / divisor;
  if ((value.digits % divisor) * 2n >= divisor) digits += 1n;
  return { negative: value.negative, digits, exponent: -scale };
}

/** Plain notation with exactly `max(0, -exponent)` fractional digits; zero has no sign. */
export function formatDecimal(value: Decimal): string {
  let text = value.digits.toString();
  if (value.exponent >= 0) {
    text += "0".repeat(value.exponent);
  } else {
    const fractionDigits = -value.exponent;
    text = text.padStart(fractionDigits + 1, "0");
    text = `${text.slice(0, text.length - fractionDigits)}.${text.slice(text.length - fractionDigits)}`;
  }
  return value.negative && value.digits !== 0n ? `-${text}` : text;
}

/** Digits before the decimal point, ignoring leading zeros (0 for values below 1). */
export function integerDigitCount(value: Decimal): number {
  const digits = value.digits.toString().length + value.exponent;
  return value.digits === 0n ? 0 : Math.max(digits, 0);
}

/** Significant digits: what a double must hold for the value to survive a round trip. */
export function significantDigitCount(value: Decimal): number {
  return value.digits === 0n ? 0 : value.digits.toString().replace(/0+$/, "").length;
}

/** The integer part as a bigint (truncated toward zero). */
export function integerPart(value: Decimal): bigint {
  const magnitude = value.exponent >= 0 ? value.digits * 10n ** BigInt(value.exponent) : value.digits / 10n ** BigInt(-value.exponent);
  return value.negative ? -magnitude : magnitude;
}
