import { describeValue, invalidValue, type ColumnCodec, type ColumnRef } from "../column-codec";
import type { ProductionDialect } from "../production-profile";
import { parseInteger, signedRange } from "./integer-codec";

const PG_TRUE = ["true", "yes", "on", "1"];
const PG_FALSE = ["false", "no", "off", "0"];

/** Postgres' boolean input: `t`, `true`, `yes`, `on`, `1` and unambiguous prefixes, any case. */
function parsePgBoolean(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (word === "") return undefined;
  const isPrefix = (candidates: string[]) => candidates.some((c) => c.startsWith(word) && (word.length > 1 || !["o"].includes(word)));
  if (isPrefix(PG_TRUE)) return true;
  if (isPrefix(PG_FALSE)) return false;
  return undefined;
}

/**
 * `boolean`/`bool`: `true`/`false` out. Postgres accepts its boolean spellings; MySQL's BOOLEAN is
 * TINYINT(1), so it stores any small integer and TypeORM hydrates it by truthiness.
 */
export class BooleanCodec implements ColumnCodec<boolean | number> {
  constructor(
    private readonly ref: ColumnRef,
    private readonly dialect: ProductionDialect,
  ) {}

  normalize(value: unknown): boolean | number {
    if (this.dialect === "mysql") return Number(parseInteger(this.ref, "mysql", signedRange(8), value));
    if (typeof value === "boolean") return value;
    const parsed = typeof value === "string" || typeof value === "number" ? parsePgBoolean(String(value)) : undefined;
    if (parsed === undefined) throw invalidValue(this.ref, value, `${describeValue(value)} is not a boolean.`);
    return parsed;
  }

  store(canonical: boolean | number): number {
    return typeof canonical === "boolean" ? (canonical ? 1 : 0) : canonical;
  }

  load(stored: unknown): boolean | number {
    return this.dialect === "mysql" ? Number(stored) : Boolean(Number(stored));
  }

  present(canonical: boolean | number): boolean {
    return Boolean(canonical);
  }
}
