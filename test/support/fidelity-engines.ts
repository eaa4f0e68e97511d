import { expect } from "chai";
import { QueryFailedError } from "typeorm";
import { testCombination, type TestCombination } from "./test-combination";

/**
 * An engine the fidelity suite runs its Postgres application on: the leg's in-memory SQLite
 * engine, where the production-fidelity emulation is what the cases test, or `"pglite"`, real
 * Postgres with no emulation, where the same cases state what Postgres itself does.
 */
export type FidelityEngine = TestCombination["engine"] | "pglite";

/**
 * The engines every Postgres case of the fidelity suite runs on: SQLite in every leg, and PGlite as
 * well in the PGlite leg (`TEST_ENGINE=pglite`), the only one where it is installed.
 */
export const POSTGRES_ENGINES: readonly FidelityEngine[] =
  testCombination.postgres === "pglite" ? [testCombination.engine, "pglite"] : [testCombination.engine];

/** How long a hook may take to start a DataSource: a process's first PGlite starts in seconds, not milliseconds. */
export const PGLITE_START_TIMEOUT = 60_000;

/** The SQLSTATEs Postgres rejects the suite's values and statements with. */
export const SQLSTATE = {
  stringDataRightTruncation: "22001",
  numericValueOutOfRange: "22003",
  datetimeFieldOverflow: "22008",
  invalidTextRepresentation: "22P02",
  uniqueViolation: "23505",
  syntaxError: "42601",
  undefinedObject: "42704",
  undefinedTable: "42P01",
} as const;

/** Asserts that `error` is Postgres' own: a TypeORM `QueryFailedError` whose pg error carries SQLSTATE `code`. */
export function expectPostgresError(error: unknown, code: string): void {
  expect(error).to.be.instanceOf(QueryFailedError);
  expect((error as { driverError?: { code?: string } }).driverError?.code, (error as Error).message).to.equal(code);
}

interface PgTypes {
  getTypeParser(oid: number, format: "text"): (text: string) => unknown;
}

/** What `pg` returns for a value of type `oid` that Postgres prints as `text`: pg's own type parser, as TypeORM's postgres driver uses it. */
export function pgParsed(oid: number, text: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { types } = require("pg") as { types: PgTypes };
  return types.getTypeParser(oid, "text")(text);
}

/** The keys `for…in` lists, inherited enumerable ones included: what chai's deep equality compares. */
export function enumerableKeys(value: object): string[] {
  const keys: string[] = [];
  for (const key in value) keys.push(key);
  return keys;
}
