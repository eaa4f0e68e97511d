import { TypeORMError } from "typeorm";
import type { ApplicationFamily } from "../data-source/application-type";
import { SharedReplicationError } from "../errors/shared-replication-error";
import type { IsolationLevel } from "./shared-query-runner";

/** The levels Postgres and MySQL accept (TypeORM 1.x's `supportedIsolationLevels` of both drivers). */
const SERVER_LEVELS: readonly string[] = ["READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"];
/** TypeORM's SQLite drivers: `PRAGMA read_uncommitted` on or off. */
const SQLITE_LEVELS: readonly string[] = ["READ UNCOMMITTED", "SERIALIZABLE"];

/** How transactions get their isolation level, by the rules of the application's production `type`. */
export interface IsolationPolicy {
  /**
   * The level to hand the engine runner's own `startTransaction`, given the one the application
   * asked for (or the DataSource-level default on TypeORM 1.x).
   *
   * - SQLite applications run on TypeORM's own SQLite runner, whose rules and errors apply as they
   *   are: READ UNCOMMITTED and SERIALIZABLE only, sent as `PRAGMA read_uncommitted`.
   * - Postgres and MySQL applications may ask for any level their server accepts; an unknown one
   *   fails. On SQLite it is not sent (SQLite transactions are serializable); on a server engine
   *   TypeORM's runner sends it and the library does not pass it on, because the application's
   *   transaction runs inside the test's, where the level can no longer change.
   */
  levelFor(requested: IsolationLevel | undefined): IsolationLevel | undefined;
  /** Checks the DataSource-level `isolationLevel` as TypeORM 1.x's `initialize()` does. */
  validateDataSourceLevel(): void;
}

/**
 * @param family the application's database family.
 * @param dataSourceLevel the application's DataSource-level `isolationLevel`, where the running TypeORM applies it.
 * @param nativeRunsProduction the engine runs the production type's own TypeORM driver (a server of its family).
 */
export function isolationPolicy(
  family: ApplicationFamily,
  dataSourceLevel: IsolationLevel | undefined,
  nativeRunsProduction: boolean,
): IsolationPolicy {
  const supported = family === "sqlite" ? SQLITE_LEVELS : SERVER_LEVELS;
  return {
    levelFor(requested) {
      const level = requested ?? dataSourceLevel;
      if (family === "sqlite" || nativeRunsProduction) return level;
      if (level !== undefined && !SERVER_LEVELS.includes(level)) {
        throw new SharedReplicationError(`Unknown isolation level "${String(level)}"; expected one of ${SERVER_LEVELS.join(", ")}.`);
      }
      return undefined;
    },
    validateDataSourceLevel() {
      // TypeORM 1.x's validateIsolationLevel, with its error and message.
      if (dataSourceLevel && !supported.includes(dataSourceLevel))
        throw new TypeORMError(`${dataSourceLevel} isolation level is not supported`);
    },
  };
}
