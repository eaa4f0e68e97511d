import type { DataSourceOptions } from "typeorm";

/** The production database families whose column types and behaviour are reproduced. */
export type ProductionDialect = "postgres" | "mysql";

/**
 * What the fidelity layer needs to know about the production database: its family, the flavour
 * where SQL differs (MariaDB locks), and the driver options that change the JavaScript values the
 * production driver returns.
 */
export interface ProductionProfile {
  readonly dialect: ProductionDialect;
  /** The application's `type`, e.g. `"postgres"`, `"mariadb"`, `"aurora-mysql"`. */
  readonly type: string;
  /** int8 as numbers: Postgres `parseInt8`, or MySQL `supportBigNumbers: false`/`bigNumberStrings: false`. */
  readonly bigintAsNumber: "always" | "when-safe" | "never";
  /** DECIMAL as numbers (mysql2 `decimalNumbers`). */
  readonly decimalAsNumber: boolean;
}

const POSTGRES_TYPES = new Set(["postgres", "aurora-postgres"]);
const MYSQL_TYPES = new Set(["mysql", "mariadb", "aurora-mysql"]);

/**
 * The profile of the application's options, or `undefined` when their type is not one whose
 * behaviour is reproduced (SQLite apps need nothing; CockroachDB differs from Postgres in its
 * integer types, so it is not treated as Postgres).
 */
export function productionProfileOf(options: DataSourceOptions): ProductionProfile | undefined {
  const type = String(options.type);
  const driverOptions = options as unknown as Record<string, unknown>;
  if (POSTGRES_TYPES.has(type)) {
    return { dialect: "postgres", type, bigintAsNumber: driverOptions.parseInt8 === true ? "always" : "never", decimalAsNumber: false };
  }
  if (!MYSQL_TYPES.has(type)) return undefined;
  // TypeORM turns both mysql2 options on unless the application sets them; `extra` goes to mysql2 last.
  const extra = (driverOptions.extra ?? {}) as Record<string, unknown>;
  const supportBigNumbers = (extra.supportBigNumbers ?? driverOptions.supportBigNumbers) !== false;
  const bigNumberStrings = (extra.bigNumberStrings ?? driverOptions.bigNumberStrings) !== false;
  return {
    dialect: "mysql",
    type,
    bigintAsNumber: !supportBigNumbers ? "always" : bigNumberStrings ? "never" : "when-safe",
    decimalAsNumber: extra.decimalNumbers === true,
  };
}
