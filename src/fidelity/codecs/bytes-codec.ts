import { describeValue, invalidValue, type ColumnCodec, type ColumnRef } from "../column-codec";
import type { ProductionDialect } from "../production-profile";

export interface ByteLimits {
  /** MySQL `binary(n)`: values are padded with zero bytes to exactly n bytes. */
  readonly fixed?: number;
  /** Maximum length in bytes (`varbinary(n)`, `tinyblob`, `blob`, `mediumblob`). */
  readonly max?: number;
}

/** Decodes Postgres' bytea text input: `\x` hex, or escape format (`\\` and `\ooo`). */
function parseByteaText(text: string): Buffer | undefined {
  if (/^\\x/i.test(text)) {
    const hex = text.slice(2).replace(/\s/g, "");
    return /^([0-9a-f]{2})*$/i.test(hex) ? Buffer.from(hex, "hex") : undefined;
  }
  const parts: Buffer[] = [];
  const pattern = /\\\\|\\([0-3][0-7]{2})|\\|[^\\]+/g;
  for (const [token, octal] of text.matchAll(pattern)) {
    if (octal) parts.push(Buffer.from([parseInt(octal, 8)]));
    else if (token === "\\\\") parts.push(Buffer.from("\\"));
    else if (token === "\\") return undefined;
    else parts.push(Buffer.from(token, "utf8"));
  }
  return Buffer.concat(parts);
}

/** `bytea`, `blob` and its sizes, `binary`/`varbinary`: Buffers in and out. */
export class BytesCodec implements ColumnCodec<Buffer> {
  constructor(
    private readonly ref: ColumnRef,
    private readonly dialect: ProductionDialect,
    private readonly limits: ByteLimits = {},
  ) {}

  normalize(value: unknown): Buffer {
    let bytes = this.read(value);
    const max = this.limits.fixed ?? this.limits.max;
    if (max !== undefined && bytes.length > max)
      throw invalidValue(this.ref, value, `data too long: ${bytes.length} bytes, at most ${max} allowed.`);
    if (this.limits.fixed !== undefined && bytes.length < this.limits.fixed)
      bytes = Buffer.concat([bytes, Buffer.alloc(this.limits.fixed - bytes.length)]);
    return bytes;
  }

  fromSqlText(text: string): Buffer {
    return this.normalize(text);
  }

  store(canonical: Buffer): Buffer {
    return canonical;
  }

  load(stored: unknown): Buffer {
    if (Buffer.isBuffer(stored)) return stored;
    // sql.js returns blobs as Uint8Array.
    return stored instanceof Uint8Array ? Buffer.from(stored) : Buffer.from(String(stored), "utf8");
  }

  present(canonical: Buffer): Buffer {
    return canonical;
  }

  private read(value: unknown): Buffer {
    if (Buffer.isBuffer(value)) return Buffer.from(value);
    if (value instanceof Uint8Array) return Buffer.from(value);
    if (value instanceof ArrayBuffer) return Buffer.from(value);
    if (typeof value === "string") {
      const bytes = this.dialect === "postgres" ? parseByteaText(value) : Buffer.from(value, "utf8");
      if (bytes) return bytes;
    }
    throw invalidValue(this.ref, value, `${describeValue(value)} is not binary data; pass a Buffer.`);
  }
}
