import { describeValue, invalidValue, type ColumnCodec, type ColumnRef } from "../column-codec";
import type { ProductionDialect } from "../production-profile";

/** Object keys in the order jsonb and MySQL's JSON keep them: shorter keys first, then by bytes; last duplicate wins. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const keys = Object.keys(value).sort((a, b) => {
    const byLength = Buffer.byteLength(a) - Buffer.byteLength(b);
    return byLength !== 0 ? byLength : Buffer.compare(Buffer.from(a), Buffer.from(b));
  });
  const sorted: Record<string, unknown> = {};
  for (const key of keys) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/**
 * `json`, `jsonb`, MySQL `JSON`: any JSON value in, the same value out (TypeORM serialises with
 * `JSON.stringify`). `jsonb` and MySQL normalise key order; Postgres' jsonb rejects `\u0000`.
 * MySQL reproduces mysql2 + TypeORM: a JSON string that itself parses as JSON comes back parsed.
 */
export class JsonCodec implements ColumnCodec<string> {
  constructor(
    private readonly ref: ColumnRef,
    private readonly dialect: ProductionDialect,
    private readonly binary: boolean,
  ) {}

  normalize(value: unknown): string {
    return this.canonical(JSON.stringify(value), value);
  }

  fromSqlText(text: string): string {
    return this.canonical(text, text);
  }

  store(canonical: string): string {
    return canonical;
  }

  load(stored: unknown): string {
    // TypeORM hydrates generated values a second time after an insert: those arrive parsed.
    return typeof stored === "string" ? stored : this.normalize(stored);
  }

  present(canonical: string): unknown {
    const value: unknown = JSON.parse(canonical);
    if (this.dialect !== "mysql" || typeof value !== "string") return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }

  private canonical(text: string | undefined, value: unknown): string {
    if (text === undefined) throw invalidValue(this.ref, value, `${describeValue(value)} has no JSON representation.`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalidValue(this.ref, value, `${describeValue(value)} is not valid JSON.`);
    }
    if (this.dialect === "postgres" && this.binary && text.includes("\\u0000")) {
      throw invalidValue(this.ref, value, "jsonb cannot contain \\u0000.");
    }
    return this.binary ? JSON.stringify(sortKeys(parsed)) : text;
  }
}
