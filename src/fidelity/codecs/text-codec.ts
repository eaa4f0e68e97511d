import { describeValue, invalidValue, unsupportedValue, type ColumnRef, PlainTextCodec } from "../column-codec";
import type { ProductionDialect } from "../production-profile";

/** How a character type treats length and trailing spaces. */
export type TextVariant = "varchar" | "char" | "text";

export interface TextLimits {
  /** Maximum length in characters (`varchar(n)`, `char(n)`). */
  readonly maxChars?: number;
  /** Maximum length in UTF-8 bytes (MySQL `tinytext`, `text`, `mediumtext`). */
  readonly maxBytes?: number;
}

/**
 * Character types: strings, with production's limits. Over-long values are rejected (trailing
 * spaces beyond the limit are cut, as both databases do); Postgres pads `char(n)` with spaces and
 * returns the padding, MySQL strips trailing spaces from `char(n)`; Postgres rejects NUL characters.
 */
export class TextCodec extends PlainTextCodec {
  constructor(
    private readonly ref: ColumnRef,
    private readonly dialect: ProductionDialect,
    private readonly variant: TextVariant,
    private readonly limits: TextLimits = {},
  ) {
    super();
  }

  normalize(value: unknown): string {
    let text = this.read(value);
    if (this.dialect === "postgres" && text.includes("\u0000")) {
      throw invalidValue(this.ref, value, "Postgres text cannot contain NUL (\\u0000) characters.");
    }
    const max = this.limits.maxChars;
    if (max !== undefined) {
      const chars = [...text];
      if (chars.length > max) {
        if (chars.slice(max).some((c) => c !== " ")) {
          throw invalidValue(this.ref, value, `value too long: ${chars.length} characters, at most ${max} allowed.`);
        }
        text = chars.slice(0, max).join("");
      }
      if (this.variant === "char" && this.dialect === "postgres") text += " ".repeat(max - [...text].length);
    }
    if (this.variant === "char" && this.dialect === "mysql") text = text.replace(/ +$/, "");
    const maxBytes = this.limits.maxBytes;
    if (maxBytes !== undefined && Buffer.byteLength(text, "utf8") > maxBytes) {
      throw invalidValue(this.ref, value, `data too long: ${Buffer.byteLength(text, "utf8")} bytes, at most ${maxBytes} allowed.`);
    }
    return text;
  }

  private read(value: unknown): string {
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "bigint") return String(value);
    if (typeof value === "boolean") return this.dialect === "postgres" ? String(value) : value ? "1" : "0";
    throw unsupportedValue(this.ref, value, `${describeValue(value)} is not a string; pass a string for a character column.`);
  }
}
