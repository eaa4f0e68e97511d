import { UnsupportedDatabaseTypeError } from "../errors/unsupported-database-type-error";

/** The database families whose applications the library can test honestly. */
export type ApplicationFamily = "postgres" | "mysql" | "sqlite";

/**
 * Every application `type` the library accepts, with its family. Postgres and MySQL applications
 * run on a server of their family or on SQLite with production fidelity; SQLite applications run
 * on SQLite. Other types (CockroachDB, SQL Server, Oracle, SAP HANA, Spanner, MongoDB) generate SQL
 * and behave in ways no engine here reproduces, so they are refused rather than tested on
 * something else.
 */
export const APPLICATION_TYPES: Readonly<Record<string, ApplicationFamily>> = {
  postgres: "postgres",
  "aurora-postgres": "postgres",
  mysql: "mysql",
  mariadb: "mysql",
  "aurora-mysql": "mysql",
  sqlite: "sqlite",
  "better-sqlite3": "sqlite",
  sqljs: "sqlite",
  capacitor: "sqlite",
  cordova: "sqlite",
  expo: "sqlite",
  nativescript: "sqlite",
  "react-native": "sqlite",
};

/**
 * The family of the application's `type`.
 *
 * @throws UnsupportedDatabaseTypeError when the type is missing or not one of {@link APPLICATION_TYPES}.
 */
export function applicationFamily(type: unknown): ApplicationFamily {
  if (typeof type === "string" && Object.prototype.hasOwnProperty.call(APPLICATION_TYPES, type)) return APPLICATION_TYPES[type]!;
  throw new UnsupportedDatabaseTypeError(type, Object.keys(APPLICATION_TYPES));
}
