import { describeValue, invalidValue, type ColumnRef, PlainNumberCodec } from "../column-codec";
import { parseInteger, signedRange } from "./integer-codec";

/** MySQL `YEAR`: 1901–2155 or 0; two-digit years map to 1970–2069 as MySQL maps them. */
export class YearCodec extends PlainNumberCodec {
  constructor(private readonly ref: ColumnRef) {
    super();
  }

  normalize(value: unknown): number {
    const year = Number(parseInteger(this.ref, "mysql", signedRange(32), value));
    const twoDigitString = typeof value === "string" && /^\s*\d{1,2}\s*$/.test(value);
    if (year === 0 && !twoDigitString) return 0;
    if (year >= 0 && year <= 99) return year < 70 ? 2000 + year : 1900 + year;
    if (year >= 1901 && year <= 2155) return year;
    throw invalidValue(this.ref, value, `${describeValue(value)} is out of range for YEAR (1901 to 2155).`);
  }
}
