import type { ColumnCodec } from "../column-codec";
import type { ProductionDialect } from "../production-profile";

/**
 * `enum`: the value's text. Values outside the list are rejected by the column's CHECK
 * constraint, with a query error as in production. MySQL matches enum values without regard to
 * case and stores the declared spelling; numeric enum members come back as numbers, as TypeORM
 * hydrates them.
 */
export class EnumCodec implements ColumnCodec<string> {
  constructor(
    private readonly dialect: ProductionDialect,
    private readonly members: readonly (string | number)[],
  ) {}

  normalize(value: unknown): string {
    const text = String(value);
    if (this.dialect !== "mysql") return text;
    const declared = this.members.map(String).find((member) => member.toLowerCase() === text.toLowerCase());
    return declared ?? text;
  }

  store(canonical: string): string {
    return canonical;
  }

  load(stored: unknown): string {
    return String(stored);
  }

  present(canonical: string): string | number {
    return !isNaN(+canonical) && this.members.indexOf(parseInt(canonical)) >= 0 ? parseInt(canonical) : canonical;
  }
}
