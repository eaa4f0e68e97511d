import { unsupportedValue, type ColumnCodec, type ColumnRef } from "../column-codec";
import type { ProductionDialect, ProductionProfile } from "../production-profile";
import { parseInteger, signedRange, unsignedRange } from "./integer-codec";

/**
 * `bigint`/`int8`: decimal strings, as `pg` and TypeORM's mysql2 defaults return them (numbers
 * with Postgres `parseInt8`, or mysql2 `bigNumberStrings: false`).
 */
export class BigintCodec implements ColumnCodec<string> {
  constructor(
    private readonly ref: ColumnRef,
    private readonly dialect: ProductionDialect,
    private readonly unsigned: boolean,
    private readonly profile: ProductionProfile,
  ) {}

  normalize(value: unknown): string {
    const range = this.unsigned ? unsignedRange(64) : signedRange(64);
    return parseInteger(this.ref, this.dialect, range, value).toString();
  }

  store(canonical: string): number {
    const value = Number(canonical);
    // The sqlite3 package reads every INTEGER as a JavaScript number.
    if (!Number.isSafeInteger(value)) {
      throw unsupportedValue(
        this.ref,
        canonical,
        `the test engine reads integers back as JavaScript numbers, so ${canonical} would come back rounded. ` +
          `Use values within ±Number.MAX_SAFE_INTEGER in tests.`,
      );
    }
    return value;
  }

  load(stored: unknown): string {
    return typeof stored === "number" ? String(Math.trunc(stored)) : String(stored);
  }

  present(canonical: string): string | number {
    const mode = this.profile.bigintAsNumber;
    if (mode === "always") return Number(canonical);
    if (mode === "when-safe" && Number.isSafeInteger(Number(canonical))) return Number(canonical);
    return canonical;
  }
}
