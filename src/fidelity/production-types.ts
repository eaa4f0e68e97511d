import { runningTypeOrmLine } from "../typeorm/typeorm-line";
import type { ColumnCodec, ColumnRef } from "./column-codec";
import { BigintCodec } from "./codecs/bigint-codec";
import { BooleanCodec } from "./codecs/boolean-codec";
import { BytesCodec } from "./codecs/bytes-codec";
import { DateCodec } from "./codecs/date-codec";
import { DecimalCodec } from "./codecs/decimal-codec";
import { EnumCodec } from "./codecs/enum-codec";
import { FloatCodec } from "./codecs/float-codec";
import { IntegerCodec, signedRange, unsignedRange } from "./codecs/integer-codec";
import { IntervalCodec } from "./codecs/interval-codec";
import { JsonCodec } from "./codecs/json-codec";
import { NetworkCodec, type NetworkVariant } from "./codecs/network-codec";
import { TextCodec } from "./codecs/text-codec";
import { TimeCodec } from "./codecs/time-codec";
import { TimestampCodec } from "./codecs/timestamp-codec";
import { UuidCodec } from "./codecs/uuid-codec";
import { YearCodec } from "./codecs/year-codec";
import type { ProductionDialect, ProductionProfile } from "./production-profile";

/**
 * SQLite column types the fidelity layer declares. Each is one TypeORM's SQLite driver knows
 * (so its schema reader parses lengths and precisions back) and each has the affinity the stored
 * values need: INTEGER for integers, REAL/NUMERIC for numbers, TEXT for text, none for blobs;
 * `date`, `time`, `datetime` and `boolean` have NUMERIC affinity, which leaves their text and
 * 0/1 values as they are.
 */
export type StorageType =
  | "integer"
  | "bigint"
  | "numeric"
  | "real"
  | "boolean"
  | "varchar"
  | "character"
  | "text"
  | "blob"
  | "date"
  | "time"
  | "datetime";

/** Every storage type, for telling the layer's declarations from TypeORM's own. */
export const STORAGE_TYPES: ReadonlySet<string> = new Set<StorageType>([
  "integer",
  "bigint",
  "numeric",
  "real",
  "boolean",
  "varchar",
  "character",
  "text",
  "blob",
  "date",
  "time",
  "datetime",
]);

/** Storage types whose declared length is part of the DDL (`varchar(100)`). */
export const STORAGE_WITH_LENGTH = new Set<StorageType>(["varchar", "character"]);

/** What building a column's codec needs to know about it. */
export interface ColumnFacts {
  readonly ref: ColumnRef;
  readonly profile: ProductionProfile;
  readonly length: number | undefined;
  readonly precision: number | null | undefined;
  readonly scale: number | undefined;
  readonly unsigned: boolean;
  readonly enumValues: readonly (string | number)[] | undefined;
  readonly utc: boolean;
  /** Create/update/delete date columns, which TypeORM gives precision 6 on MySQL. */
  readonly autoTimestamp: boolean;
}

/** How one production type is stored and converted. */
export interface ProductionType {
  readonly storage: StorageType;
  /** SQLite collation that gives production's comparisons (case-insensitive, pad-insensitive). */
  readonly collation?: "NOCASE" | "RTRIM";
  /** True for types whose values may be elements of a Postgres `array: true` column. */
  readonly arrayElement?: boolean;
  codec(facts: ColumnFacts): ColumnCodec;
}

const integer = (bits: number): ProductionType => ({
  storage: "integer",
  arrayElement: true,
  codec: (f) => new IntegerCodec(f.ref, f.profile.dialect, f.unsigned ? unsignedRange(bits) : signedRange(bits)),
});
const bigint: ProductionType = {
  storage: "bigint",
  arrayElement: true,
  codec: (f) => new BigintCodec(f.ref, f.profile.dialect, f.unsigned, f.profile),
};
const decimal: ProductionType = {
  storage: "numeric",
  arrayElement: true,
  codec: (f) => new DecimalCodec(f.ref, f.profile.dialect, f.precision, f.scale, f.profile),
};
const float = (single: boolean): ProductionType => ({
  storage: "real",
  arrayElement: true,
  codec: (f) => new FloatCodec(f.ref, f.profile.dialect, single),
});
const boolean: ProductionType = { storage: "boolean", arrayElement: true, codec: (f) => new BooleanCodec(f.ref, f.profile.dialect) };
const date: ProductionType = { storage: "date", codec: (f) => new DateCodec(f.ref, f.utc) };
const time: ProductionType = { storage: "time", codec: (f) => new TimeCodec(f.ref, f.profile.dialect, f.precision) };
const timestamp = (input: "typeorm" | "server-utc", mysqlTimestamp = false): ProductionType => ({
  storage: "datetime",
  codec: (f) =>
    new TimestampCodec(
      f.ref,
      f.profile.dialect,
      f.precision ?? (f.autoTimestamp && f.profile.dialect === "mysql" ? 6 : undefined),
      input,
      mysqlTimestamp,
    ),
});
const json = (binary: boolean): ProductionType => ({ storage: "text", codec: (f) => new JsonCodec(f.ref, f.profile.dialect, binary) });
const network = (variant: NetworkVariant): ProductionType => ({ storage: "varchar", codec: (f) => new NetworkCodec(f.ref, variant) });
const enumType = (collation?: "NOCASE"): ProductionType => ({
  storage: "varchar",
  ...(collation ? { collation } : {}),
  codec: (f) => new EnumCodec(f.profile.dialect, f.enumValues ?? []),
});

const postgresVarchar: ProductionType = {
  storage: "varchar",
  arrayElement: true,
  codec: (f) => new TextCodec(f.ref, "postgres", "varchar", { ...(f.length ? { maxChars: f.length } : {}) }),
};
const postgresChar: ProductionType = {
  storage: "character",
  collation: "RTRIM",
  arrayElement: true,
  codec: (f) => new TextCodec(f.ref, "postgres", "char", { maxChars: f.length ?? 1 }),
};

/** Postgres types, by the names TypeORM accepts for them. */
const POSTGRES_TYPES: Record<string, ProductionType> = {
  int: integer(32),
  int4: integer(32),
  integer: integer(32),
  int2: integer(16),
  smallint: integer(16),
  int8: bigint,
  bigint,
  decimal,
  numeric: decimal,
  real: float(true),
  float4: float(true),
  float: float(false),
  float8: float(false),
  "double precision": float(false),
  "character varying": postgresVarchar,
  varchar: postgresVarchar,
  character: postgresChar,
  char: postgresChar,
  text: { storage: "text", arrayElement: true, codec: (f) => new TextCodec(f.ref, "postgres", "text") },
  citext: { storage: "text", collation: "NOCASE", codec: (f) => new TextCodec(f.ref, "postgres", "text") },
  bytea: { storage: "blob", codec: (f) => new BytesCodec(f.ref, "postgres") },
  bool: boolean,
  boolean,
  date,
  time,
  "time without time zone": time,
  timestamp: timestamp("typeorm"),
  "timestamp without time zone": timestamp("typeorm"),
  "timestamp with time zone": timestamp("typeorm"),
  // TypeORM 0.3 hands `timestamptz` values to the server unconverted, unlike its long spelling; 1.x converts both.
  timestamptz: {
    storage: "datetime",
    codec: (f) => timestamp(runningTypeOrmLine().convertsTimestamptz ? "typeorm" : "server-utc").codec(f),
  },
  interval: { storage: "text", codec: (f) => new IntervalCodec(f.ref) },
  enum: enumType(),
  uuid: { storage: "varchar", collation: "NOCASE", arrayElement: true, codec: (f) => new UuidCodec(f.ref) },
  json: json(false),
  jsonb: json(true),
  inet: network("inet"),
  cidr: network("cidr"),
  macaddr: network("macaddr"),
  macaddr8: network("macaddr8"),
};

const mysqlText = (maxBytes: number): ProductionType => ({
  storage: "text",
  collation: "NOCASE",
  codec: (f) => new TextCodec(f.ref, "mysql", "text", { maxBytes }),
});
const mysqlVarchar: ProductionType = {
  storage: "varchar",
  collation: "NOCASE",
  codec: (f) => new TextCodec(f.ref, "mysql", "varchar", { maxChars: f.length ?? 255 }),
};
const mysqlChar: ProductionType = {
  storage: "character",
  collation: "NOCASE",
  codec: (f) => new TextCodec(f.ref, "mysql", "char", { maxChars: f.length ?? 1 }),
};
const blob = (max: number): ProductionType => ({ storage: "blob", codec: (f) => new BytesCodec(f.ref, "mysql", { max }) });

/** MySQL and MariaDB types, by the names TypeORM accepts for them. */
const MYSQL_TYPES: Record<string, ProductionType> = {
  tinyint: integer(8),
  smallint: integer(16),
  mediumint: integer(24),
  int: integer(32),
  integer: integer(32),
  bigint,
  float: float(true),
  double: float(false),
  "double precision": float(false),
  real: float(false),
  decimal,
  dec: decimal,
  numeric: decimal,
  fixed: decimal,
  bool: boolean,
  boolean,
  date,
  datetime: timestamp("typeorm"),
  timestamp: timestamp("typeorm", true),
  time,
  year: { storage: "integer", codec: (f) => new YearCodec(f.ref) },
  char: mysqlChar,
  nchar: mysqlChar,
  "national char": mysqlChar,
  varchar: mysqlVarchar,
  nvarchar: mysqlVarchar,
  "national varchar": mysqlVarchar,
  tinytext: mysqlText(255),
  text: mysqlText(65_535),
  mediumtext: mysqlText(16_777_215),
  longtext: mysqlText(4_294_967_295),
  tinyblob: blob(255),
  blob: blob(65_535),
  mediumblob: blob(16_777_215),
  longblob: blob(4_294_967_295),
  binary: { storage: "blob", codec: (f) => new BytesCodec(f.ref, "mysql", { fixed: f.length ?? 1 }) },
  varbinary: { storage: "blob", codec: (f) => new BytesCodec(f.ref, "mysql", { max: f.length ?? 255 }) },
  enum: enumType("NOCASE"),
  json: json(true),
  // TypeORM declares MySQL uuid columns as varchar(36) and leaves the values as given.
  uuid: { storage: "varchar", collation: "NOCASE", codec: (f) => new TextCodec(f.ref, "mysql", "varchar", { maxChars: 36 }) },
};

/** The production type named `name` for `dialect`, or `undefined` when it is not reproduced. */
export function productionType(dialect: ProductionDialect, name: string): ProductionType | undefined {
  const table = dialect === "postgres" ? POSTGRES_TYPES : MYSQL_TYPES;
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}

/** The production type TypeORM gives a column declared with a JavaScript type (`@Column() name: string`). */
export function productionTypeOfDesignType(dialect: ProductionDialect, designType: unknown): string | undefined {
  if (designType === Number) return dialect === "postgres" ? "integer" : "int";
  if (designType === String) return "varchar";
  if (designType === Date) return dialect === "postgres" ? "timestamp" : "datetime";
  if (designType === Boolean) return "boolean";
  if (designType === Buffer) return dialect === "postgres" ? "bytea" : "blob";
  return undefined;
}
