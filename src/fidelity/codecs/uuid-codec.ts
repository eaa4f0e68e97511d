import { describeValue, invalidValue, type ColumnRef, PlainTextCodec } from "../column-codec";

// Postgres accepts braces and a hyphen after any group of four digits.
const PG_UUID_INPUT = /^\{?[0-9a-f]{4}(?:-?[0-9a-f]{4}){7}\}?$/i;

/** Postgres `uuid`: validated, returned lowercase in the 8-4-4-4-12 form. */
export class UuidCodec extends PlainTextCodec {
  constructor(private readonly ref: ColumnRef) {
    super();
  }

  normalize(value: unknown): string {
    const text = typeof value === "string" ? value.trim() : undefined;
    if (text === undefined || !PG_UUID_INPUT.test(text)) throw invalidValue(this.ref, value, `${describeValue(value)} is not a uuid.`);
    const hex = text.replace(/[{}-]/g, "").toLowerCase();
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}
