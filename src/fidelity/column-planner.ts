import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { UnsupportedColumnTypeError } from "../errors/unsupported-column-type-error";
import type { ColumnCodec, ColumnRef } from "./column-codec";
import { ArrayCodec } from "./codecs/array-codec";
import type { ProductionProfile } from "./production-profile";
import { productionType, productionTypeOfDesignType, STORAGE_WITH_LENGTH, type StorageType } from "./production-types";

/** How one entity column is declared in the engine and how its values are converted. */
export interface ColumnPlan {
  readonly ref: ColumnRef;
  /** The production type name, lowercase (`"timestamptz"`, `"varchar"`). */
  readonly productionType: string;
  readonly storage: StorageType;
  /** The length written into the DDL, `""` when the storage type takes none. */
  readonly length: string;
  readonly codec: ColumnCodec;
  /** The collation the column is declared with, `undefined` for SQLite's default (BINARY). */
  readonly collation: string | undefined;
  /** Fractional-second digits production keeps for time and timestamp columns. */
  readonly fractionalSeconds?: number;
}

const TEXT_STORAGE = new Set<StorageType>(["varchar", "character", "text"]);

/** Types TypeORM's SQLite driver already converts exactly as every production driver does. */
const PORTABLE_TYPES = new Set(["simple-json", "simple-array", "simple-enum"]);

const TYPE_ADVICE: Record<string, string> = {
  money: "Postgres formats money with the server's locale; use numeric with a scale.",
  hstore: "Use jsonb, or simple-json in the test.",
  timetz: "Use time, or timestamptz.",
  "time with time zone": "Use time, or timestamptz.",
  set: "MySQL SET columns are not reproduced; use simple-array.",
};

// Postgres collations that compare bytes (or by locale, which for equality is the same): BINARY.
const PG_DETERMINISTIC_COLLATION = /^(c|posix|default|ucs_basic|[a-z]{2,3}([_-][a-z0-9]{2,8})*(\.[\w-]+)?|[\w-]+-x-icu)$/i;

function isEntityColumn(column: ColumnMetadata): boolean {
  return typeof column === "object" && column !== null && typeof column.entityMetadata === "object" && column.entityMetadata !== null;
}

function describeType(name: string, column: ColumnMetadata): string {
  let label = name;
  if (column.length) label += `(${column.length})`;
  else if (column.precision !== undefined && column.precision !== null)
    label += column.scale !== undefined ? `(${column.precision},${column.scale})` : `(${column.precision})`;
  return column.isArray ? `${label}[]` : label;
}

/** True for `@PrimaryGeneratedColumn()` (any integer strategy) on a single-column key: SQLite's rowid alias. */
export function isRowidKey(column: ColumnMetadata): boolean {
  const strategy = column.generationStrategy as string | undefined;
  return (
    column.isPrimary &&
    column.isGenerated &&
    (strategy === "increment" || strategy === "identity" || strategy === "rowid") &&
    column.entityMetadata.primaryColumns.length <= 1
  );
}

/**
 * Decides, once per column, how a production-typed entity column lives in the engine. Plans are
 * kept per column metadata object, which belongs to one DataSource: other DataSources that use
 * the same entity classes never see them.
 */
export class ColumnPlanner {
  private readonly plans = new WeakMap<ColumnMetadata, ColumnPlan | null>();

  constructor(readonly profile: ProductionProfile) {}

  /**
   * The plan of an entity column, or `undefined` for columns TypeORM's SQLite driver handles as
   * production does (`simple-json`, …) and for the driver's own internal columns.
   * @throws UnsupportedColumnTypeError when the production type cannot be reproduced.
   */
  planOf(column: ColumnMetadata): ColumnPlan | undefined {
    if (!isEntityColumn(column)) return undefined;
    let plan = this.plans.get(column);
    if (plan === undefined) {
      plan = this.plan(column);
      this.plans.set(column, plan);
    }
    return plan ?? undefined;
  }

  private plan(column: ColumnMetadata): ColumnPlan | null {
    const dialect = this.profile.dialect;
    const name =
      typeof column.type === "function" ? productionTypeOfDesignType(dialect, column.type) : String(column.type).trim().toLowerCase();
    const entity = column.entityMetadata.name;
    if (name === undefined) {
      const designType = (column.type as { name?: string }).name ?? String(column.type);
      throw new UnsupportedColumnTypeError(entity, column.propertyPath, designType, dialect, `Give the column an explicit type.`);
    }
    if (PORTABLE_TYPES.has(name)) return null;
    const ref: ColumnRef = { entity, column: column.propertyPath, type: describeType(name, column) };
    const type = productionType(dialect, name);
    if (!type) {
      const advice = TYPE_ADVICE[name] ?? `Reproduced ${dialect} types are listed in the README; use one of them for this column.`;
      throw new UnsupportedColumnTypeError(entity, column.propertyPath, name, dialect, advice);
    }
    if (name === "enum" && !column.enum) {
      throw new UnsupportedColumnTypeError(
        entity,
        column.propertyPath,
        name,
        dialect,
        `Give the enum column its values with the "enum" option.`,
      );
    }
    const length = column.length ? Number(column.length) : undefined;
    const codec = type.codec({
      ref,
      profile: this.profile,
      length,
      precision: column.precision,
      scale: column.scale,
      unsigned: column.unsigned,
      enumValues: column.enum,
      utc: column.utc,
      autoTimestamp: column.isCreateDate || column.isUpdateDate || column.isDeleteDate,
    });
    if (column.isArray) return this.arrayPlan(column, ref, name, type.arrayElement === true, codec);
    const storage = isRowidKey(column) ? "integer" : type.storage;
    const autoTimestamp = column.isCreateDate || column.isUpdateDate || column.isDeleteDate;
    return {
      fractionalSeconds: column.precision ?? (dialect === "mysql" && !autoTimestamp ? 0 : 6),
      ref,
      productionType: name,
      storage,
      length: STORAGE_WITH_LENGTH.has(storage) && column.length ? String(column.length) : "",
      codec,
      collation: this.collation(column, storage, type.collation, ref),
    };
  }

  private arrayPlan(column: ColumnMetadata, ref: ColumnRef, name: string, elementAllowed: boolean, element: ColumnCodec): ColumnPlan {
    const dialect = this.profile.dialect;
    if (dialect !== "postgres" || !elementAllowed) {
      const advice =
        dialect !== "postgres"
          ? "MySQL has no array columns; use simple-array or json."
          : `Arrays of ${name} are not reproduced (the pg driver returns some of them unparsed); use jsonb or simple-array in the test.`;
      throw new UnsupportedColumnTypeError(ref.entity, column.propertyPath, `${name}[]`, dialect, advice);
    }
    return { ref, productionType: name, storage: "text", length: "", codec: new ArrayCodec(ref, element), collation: undefined };
  }

  /** The engine collation for a column: the type's own, or the one its declared collation maps to. */
  private collation(
    column: ColumnMetadata,
    storage: StorageType,
    typeCollation: "NOCASE" | "RTRIM" | undefined,
    ref: ColumnRef,
  ): string | undefined {
    const declared = column.collation;
    if (!declared) return typeCollation;
    if (!TEXT_STORAGE.has(storage)) return undefined;
    if (this.profile.dialect === "mysql") {
      if (/_ci$/i.test(declared)) return "NOCASE";
      if (/(_bin|_cs)$/i.test(declared) || declared.toLowerCase() === "binary") return "BINARY";
    } else if (PG_DETERMINISTIC_COLLATION.test(declared)) {
      return typeCollation ?? "BINARY";
    }
    throw new UnsupportedColumnTypeError(
      ref.entity,
      ref.column,
      `${ref.type} COLLATE "${declared}"`,
      this.profile.dialect,
      `The collation is not reproduced; only case-sensitive and case-insensitive (MySQL *_ci) comparisons are.`,
    );
  }
}
