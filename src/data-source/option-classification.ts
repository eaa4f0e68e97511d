import type { DataSourceOptions } from "typeorm";
import { APPLICATION_TYPES } from "./application-type";

/**
 * What the library does with one of the application's options:
 * - `kept`: TypeORM-level behaviour, passed unchanged to the engine's DataSource and honoured.
 * - `location`: where the database is and how to reach it (addresses, credentials, pools, timeouts,
 *   the database file, the driver package): replaced by the engine's, never used.
 * - `schema`: replaced by the library's `schema` setting (`initialize()` creates the schema).
 * - `library`: handled by the library itself (`type`, the shape of `replication`, `isolationLevel`).
 * - `driver`: behaviour of the production driver, passed when the engine runs that driver; see {@link DriverOptionRule}.
 */
export type OptionClass = "kept" | "location" | "schema" | "library" | "driver";

/** What a driver option does on an engine that does not run the production driver. */
export type DriverOptionOutcome =
  /**
   * The fidelity layer reproduces it from the application's options on SQLite engines (server
   * engines run only applications of their own family, whose driver honours it).
   */
  | "emulated"
  /** Nothing a test can observe depends on it there. */
  | "no-effect"
  /** Production behaves differently: the constructor emits {@link OPTION_NOT_HONOURED_WARNING}. */
  | "not-honoured";

/** A driver option: passed to engines that run the production driver, otherwise {@link DriverOptionRule.elsewhere}. */
export interface DriverOptionRule {
  readonly elsewhere: DriverOptionOutcome;
  /** Why, in a few words; shown in the README and in the warning. */
  readonly note: string;
  /** Engine driver types, besides the family's own, whose driver gives the option its production meaning. */
  readonly alsoOn?: readonly string[];
  /** Values that behave as production does even where the option is not honoured: no warning for them. */
  readonly harmless?: {
    /** The values, in words, for the README ("warns unless …"). */
    readonly when: string;
    readonly test: (value: unknown, options: Readonly<Record<string, unknown>>) => boolean;
  };
}

/** The class of an option, with its rule when it is a driver option. */
export type OptionRule = Exclude<OptionClass, "driver"> | DriverOptionRule;

/** The options one TypeORM driver declares (its `*ConnectionOptions` / `*DataSourceOptions` and credentials). */
export interface DriverOptions {
  /** The application `type`s these options belong to. */
  readonly types: readonly string[];
  /** Engine driver types that run the same TypeORM driver as production: driver options are passed to them. */
  readonly sameDriver: readonly string[];
  /** The engine that runs that driver, for the warning; `undefined` when none does. */
  readonly advice?: string;
  readonly options: Readonly<Record<string, OptionRule>>;
}

/**
 * The `code` of the process warning a `SharedReplicationDataSource` constructor emits for each
 * option of the application that production's driver honours and the engine does not (for example
 * a Postgres `schema` or a MySQL `timezone` on SQLite). The message names the option, the engine and
 * the engine that would honour it.
 *
 * @example
 * ```ts
 * process.on("warning", (warning) => {
 *   if ((warning as { code?: string }).code === OPTION_NOT_HONOURED_WARNING) throw warning; // make them fatal
 * });
 * ```
 */
export const OPTION_NOT_HONOURED_WARNING = "TYPEORM_SHARED_REPLICATION_OPTION_NOT_HONOURED";

const oneConnection: DriverOptionRule = {
  elsewhere: "no-effect",
  note: "every runner shares one connection, so SQLite is never busy",
};
const inMemoryJournal: DriverOptionRule = {
  elsewhere: "no-effect",
  note: "a journal mode of the database file; the engine's database is in memory",
};
const noExtensions: DriverOptionRule = {
  elsewhere: "no-effect",
  note: "SQLite has no extensions; the fidelity layer reproduces or refuses the column types they provide",
};
const castParameters = (family: string): DriverOptionRule => ({
  elsewhere: "not-honoured",
  note: `with \`castParameters\` on, the Data API client converts values in ways no engine reproduces; with \`castParameters: false\` values are the ${family} driver's, which the engines reproduce`,
  harmless: {
    when: "`castParameters: false`",
    test: (value) => (value as { castParameters?: unknown } | null)?.castParameters === false,
  },
});
const isFalse = { when: "`false`", test: (value: unknown) => value === false };

/** `BaseDataSourceOptions` of both TypeORM lines. */
export const BASE_OPTIONS: Readonly<Record<string, OptionRule>> = {
  type: "library",
  name: "kept",
  entities: "kept",
  subscribers: "kept",
  migrations: "kept",
  migrationsTableName: "kept",
  migrationsTransactionMode: "kept",
  metadataTableName: "kept",
  namingStrategy: "kept",
  logging: "kept",
  logger: "kept",
  maxQueryExecutionTime: "kept",
  entityPrefix: "kept",
  entitySkipConstructor: "kept",
  relationLoadStrategy: "kept",
  typename: "kept",
  cache: "kept",
  isolateWhereStatements: "kept",
  invalidWhereValuesBehavior: "kept",
  poolSize: "location",
  extra: "location",
  synchronize: "schema",
  migrationsRun: "schema",
  dropSchema: "schema",
  // 1.x validates it against the inner SQLite driver's two levels; the runners apply it instead.
  isolationLevel: "library",
};

const POSTGRES_ENGINE = 'a Postgres server engine (`engine: { type: "postgres", … }`)';
const MYSQL_ENGINE = 'a MySQL or MariaDB server engine (`engine: { type: "mysql" | "mariadb", … }`)';

/** The options every supported driver declares beyond the base ones, on either TypeORM line. */
export const DRIVER_OPTIONS: readonly DriverOptions[] = [
  {
    types: ["postgres"],
    sameDriver: ["postgres"],
    advice: POSTGRES_ENGINE,
    options: {
      url: "location",
      host: "location",
      port: "location",
      username: "location",
      password: "location",
      database: "location",
      ssl: "location",
      connectTimeoutMS: "location",
      poolErrorHandler: "location",
      driver: "location",
      nativeDriver: "location",
      replication: "library",
      applicationName: { elsewhere: "no-effect", note: "it only names the server session (`pg_stat_activity`)" },
      schema: {
        elsewhere: "not-honoured",
        note: "SQLite has no schemas (TypeORM's SQLite drivers even skip the foreign keys of tables with one), so it is not passed: tables are unqualified, entity metadata has no schema, raw SQL naming it fails",
      },
      useUTC: { elsewhere: "emulated", note: "the fidelity layer takes the session time zone as UTC, as `useUTC` makes it" },
      parseInt8: { elsewhere: "emulated", note: "the fidelity layer returns int8 values as numbers, as `pg` does with it" },
      uuidExtension: {
        elsewhere: "no-effect",
        note: 'it only names the function in `@Generated("uuid")` column defaults; SQLite engines get v4 UUIDs from TypeORM',
      },
      installExtensions: noExtensions,
      extensions: noExtensions,
      logNotifications: { elsewhere: "no-effect", note: "SQLite sends no notices or `NOTIFY` messages to log" },
    },
  },
  {
    types: ["aurora-postgres"],
    sameDriver: [],
    options: {
      region: "location",
      secretArn: "location",
      resourceArn: "location",
      database: "location",
      driver: "location",
      serviceConfigOptions: "location",
      poolErrorHandler: "location",
      uuidExtension: {
        elsewhere: "no-effect",
        alsoOn: ["postgres"],
        note: 'it only names the function in `@Generated("uuid")` column defaults; SQLite engines get v4 UUIDs from TypeORM',
      },
      transformParameters: { elsewhere: "no-effect", note: "TypeORM never reads it" },
      formatOptions: castParameters("pg"),
    },
  },
  {
    types: ["mysql", "mariadb"],
    sameDriver: ["mysql", "mariadb"],
    advice: MYSQL_ENGINE,
    options: {
      url: "location",
      host: "location",
      port: "location",
      username: "location",
      password: "location",
      database: "location",
      ssl: "location",
      socketPath: "location",
      connectTimeout: "location",
      acquireTimeout: "location",
      insecureAuth: "location",
      driver: "location",
      connectorPackage: "location",
      replication: "library",
      supportBigNumbers: { elsewhere: "emulated", note: "the fidelity layer returns BIGINT values as `mysql2` does with it" },
      bigNumberStrings: { elsewhere: "emulated", note: "the fidelity layer returns BIGINT values as `mysql2` does with it" },
      charset: {
        elsewhere: "not-honoured",
        note: "the engine stores UTF-8 and compares with the column collations the fidelity layer reproduces; another charset's encoding limits and collation of literals are not reproduced",
        harmless: { when: "`utf8mb4…`", test: (value) => typeof value === "string" && /^utf8mb4/i.test(value) },
      },
      timezone: {
        elsewhere: "not-honoured",
        note: "the fidelity layer stores date-times as UTC text: Dates round-trip alike, but raw SQL sees UTC where production stores that zone's local time",
        harmless: { when: 'UTC (`"Z"`, `"+00:00"`)', test: (value) => typeof value === "string" && /^(z|[+-]00:?00)$/i.test(value) },
      },
      dateStrings: {
        elsewhere: "not-honoured",
        note: "production's `mysql2` returns date-times as strings (raw queries, `timestamp` columns); the engine returns them as without the option",
        harmless: isFalse,
      },
      debug: { elsewhere: "no-effect", note: "it prints `mysql2`'s protocol packets" },
      trace: { elsewhere: "no-effect", note: "it adds the caller's stack to `mysql2`'s errors" },
      multipleStatements: {
        elsewhere: "not-honoured",
        note: "the engine does not run several statements sent as one query as MySQL does",
        harmless: isFalse,
      },
      legacySpatialSupport: { elsewhere: "no-effect", note: "the fidelity layer refuses spatial columns" },
      flags: {
        elsewhere: "not-honoured",
        note: "`mysql2`'s connection flags (`-FOUND_ROWS` changes affected-row counts, for one) are not reproduced",
        harmless: { when: "`[]`", test: (value) => Array.isArray(value) && value.length === 0 },
      },
      enableQueryTimeout: {
        elsewhere: "not-honoured",
        note: "the engine does not abort queries slower than `maxQueryExecutionTime`",
        harmless: {
          when: "`false` or without `maxQueryExecutionTime`",
          test: (value, options) => value !== true || !options.maxQueryExecutionTime,
        },
      },
    },
  },
  {
    types: ["aurora-mysql"],
    sameDriver: [],
    options: {
      url: "location",
      host: "location",
      port: "location",
      username: "location",
      password: "location",
      database: "location",
      ssl: "location",
      region: "location",
      secretArn: "location",
      resourceArn: "location",
      driver: "location",
      serviceConfigOptions: "location",
      formatOptions: castParameters("MySQL"),
      legacySpatialSupport: { elsewhere: "no-effect", alsoOn: ["mysql", "mariadb"], note: "the fidelity layer refuses spatial columns" },
    },
  },
  {
    types: ["sqlite"],
    sameDriver: ["sqlite"],
    advice: 'the `"sqlite3"` engine',
    options: {
      database: "location",
      driver: "location",
      key: "location",
      flags: "location",
      busyTimeout: oneConnection,
      busyErrorRetry: oneConnection,
      enableWAL: inMemoryJournal,
    },
  },
  {
    types: ["better-sqlite3"],
    sameDriver: ["better-sqlite3"],
    advice: 'the `"better-sqlite3"` engine',
    options: {
      database: "location",
      driver: "location",
      key: "location",
      readonly: "location",
      fileMustExist: "location",
      nativeBinding: "location",
      timeout: oneConnection,
      enableWAL: inMemoryJournal,
      statementCacheSize: { elsewhere: "no-effect", note: "it sizes TypeORM's prepared-statement cache: speed only" },
      prepareDatabase: {
        elsewhere: "not-honoured",
        note: "it gets a `better-sqlite3` database, which the engine does not have: what it sets up (functions, pragmas) is missing",
      },
      verbose: {
        elsewhere: "not-honoured",
        note: "the engine does not call it with each statement; `dataSource.queryLog` and `logging` show them",
      },
    },
  },
  {
    types: ["sqljs"],
    sameDriver: ["sqljs"],
    advice: 'the `"sqljs"` engine',
    options: {
      database: "location",
      driver: "location",
      sqlJsConfig: "location",
      location: "location",
      autoSave: "location",
      autoSaveCallback: "location",
      useLocalForage: "location",
    },
  },
  {
    types: ["capacitor"],
    sameDriver: [],
    options: { database: "location", driver: "location", mode: "location", version: "location", journalMode: inMemoryJournal },
  },
  { types: ["cordova"], sameDriver: [], options: { database: "location", driver: "location", location: "location" } },
  { types: ["expo"], sameDriver: [], options: { database: "location", driver: "location" } },
  {
    types: ["nativescript"],
    sameDriver: [],
    options: {
      database: "location",
      driver: "location",
      readOnly: "location",
      key: "location",
      migrate: "location",
      iosFlags: "location",
      androidFlags: "location",
      multithreading: { elsewhere: "no-effect", note: "it runs queries on worker threads: speed only" },
    },
  },
  {
    types: ["react-native"],
    sameDriver: [],
    options: { database: "location", driver: "location", location: "location", encryptionKey: "location" },
  },
];

/**
 * The keys of `extra` (the options TypeORM hands the driver package as they are) that change the
 * values the driver returns, by the engine's driver type. `extra` is a location option, since it
 * may name another host or database; these keys alone are passed on an engine that runs the
 * production driver. On SQLite, the fidelity layer reproduces mysql2's `decimalNumbers`,
 * `supportBigNumbers` and `bigNumberStrings`; the others warn.
 */
export const EXTRA_VALUE_KEYS: Readonly<Record<string, readonly string[]>> = {
  postgres: ["types", "parseInputDatesAsUTC", "statement_timeout", "query_timeout", "lock_timeout", "idle_in_transaction_session_timeout"],
  mysql: ["decimalNumbers", "supportBigNumbers", "bigNumberStrings", "dateStrings", "typeCast", "timezone", "jsonStrings", "charset"],
};
const EMULATED_EXTRA_KEYS: ReadonlySet<string> = new Set(["decimalNumbers", "supportBigNumbers", "bigNumberStrings"]);

/**
 * `schema`, which only the Postgres drivers declare, is read by TypeORM's entity metadata whatever
 * the driver: a SQLite application's tables get it (and TypeORM's SQLite drivers then create them
 * without foreign keys), so SQLite applications keep it, undeclared as it is.
 */
function readByEveryDriver(type: string, key: string): boolean {
  return key === "schema" && APPLICATION_TYPES[type] === "sqlite";
}

/** Every key some supported driver declares beyond the base ones. */
const DRIVER_KEYS: ReadonlySet<string> = new Set(DRIVER_OPTIONS.flatMap((driver) => Object.keys(driver.options)));

function driverOptionsOf(type: string): DriverOptions | undefined {
  return DRIVER_OPTIONS.find((driver) => driver.types.includes(type));
}

/**
 * The rule for `key` in options of `type`, or `undefined` when TypeORM declares no such option for
 * that type: then it is kept unless another type's driver declares it (production's driver ignores
 * it, while the engine's driver might not).
 */
export function optionRule(type: string, key: string): OptionRule | undefined {
  const own = driverOptionsOf(type)?.options;
  if (own && Object.prototype.hasOwnProperty.call(own, key)) return own[key];
  if (Object.prototype.hasOwnProperty.call(BASE_OPTIONS, key)) return BASE_OPTIONS[key];
  return undefined;
}

/** The application's options an engine runs: everything but location, schema and library options. */
export type ApplicationOptions = Readonly<Record<string, unknown>>;

/** A driver option the engine does not honour. */
export interface NotHonouredOption {
  readonly key: string;
  readonly note: string;
}

/** What {@link innerApplicationOptions} decided. */
export interface InnerApplicationOptions {
  /** The options to hand to `engine.dataSourceOptions()`. */
  readonly options: ApplicationOptions;
  /** Options set to a value production honours and the engine does not. */
  readonly notHonoured: readonly NotHonouredOption[];
  /** The engine that runs the production driver, for the warning; `undefined` when none does. */
  readonly advice: string | undefined;
}

/**
 * Sorts the application's options by {@link optionRule} for an engine whose TypeORM driver type is
 * `engineDriverType` (`"sqlite"`, `"better-sqlite3"`, `"sqljs"`, `"postgres"`, `"mysql"`, `"mariadb"`).
 */
export function innerApplicationOptions(options: DataSourceOptions, engineDriverType: string): InnerApplicationOptions {
  const all = options as unknown as Readonly<Record<string, unknown>>;
  const type = String(options.type);
  const driver = driverOptionsOf(type);
  const kept: Record<string, unknown> = {};
  const notHonoured: NotHonouredOption[] = [];
  for (const key of Object.keys(all)) {
    const value = all[key];
    if (value === undefined) continue;
    const rule = optionRule(type, key);
    if (rule === undefined) {
      if (!DRIVER_KEYS.has(key) || readByEveryDriver(type, key)) kept[key] = value;
      continue;
    }
    if (rule === "kept") kept[key] = value;
    if (typeof rule === "string") continue;
    if (driver?.sameDriver.includes(engineDriverType) || rule.alsoOn?.includes(engineDriverType)) {
      kept[key] = value;
      continue;
    }
    if (rule.elsewhere === "not-honoured" && !rule.harmless?.test(value, all)) notHonoured.push({ key, note: rule.note });
  }
  const extra = extraValueOptions(all.extra, type, driver, engineDriverType);
  if (extra.passed) kept.extra = extra.passed;
  notHonoured.push(...extra.notHonoured);
  return { options: kept, notHonoured, advice: driver?.advice };
}

/** The value-changing keys of `extra` (see {@link EXTRA_VALUE_KEYS}): passed on the production driver, otherwise emulated or not honoured. */
function extraValueOptions(
  extra: unknown,
  type: string,
  driver: DriverOptions | undefined,
  engineDriverType: string,
): { passed: Record<string, unknown> | undefined; notHonoured: NotHonouredOption[] } {
  const valueKeys = EXTRA_VALUE_KEYS[APPLICATION_TYPES[type] ?? ""] ?? [];
  const values = typeof extra === "object" && extra !== null ? (extra as Record<string, unknown>) : {};
  const present = valueKeys.filter((key) => values[key] !== undefined);
  if (present.length === 0) return { passed: undefined, notHonoured: [] };
  if (driver?.sameDriver.includes(engineDriverType)) {
    return { passed: Object.fromEntries(present.map((key) => [key, values[key]])), notHonoured: [] };
  }
  const notHonoured = present
    .filter((key) => !EMULATED_EXTRA_KEYS.has(key) && !(key === "dateStrings" && values[key] === false))
    .map((key) => ({ key: `extra.${key}`, note: "it changes the values the driver package returns, which no SQLite engine reproduces" }));
  return { passed: undefined, notHonoured };
}

/**
 * Emits one {@link OPTION_NOT_HONOURED_WARNING} warning per option the engine does not honour.
 * Warnings, not errors: the rest of the application's behaviour is still worth testing.
 */
export function warnNotHonoured(type: string, engineName: string, decided: InnerApplicationOptions): void {
  for (const { key, note } of decided.notHonoured) {
    process.emitWarning(
      `typeorm-shared-replication: the ${type} option "${key}" is not honoured on the ${engineName} engine: ${note}. ` +
        (decided.advice ? `To run it as production does, use ${decided.advice}. ` : `No engine runs the ${type} driver. `) +
        "If your tests do not depend on it, set it to undefined in the options you pass to SharedReplicationDataSource.",
      { code: OPTION_NOT_HONOURED_WARNING },
    );
  }
}
