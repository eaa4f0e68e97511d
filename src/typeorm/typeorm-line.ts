import path from "node:path";
import { IncompatibleTypeOrmError } from "../errors/incompatible-typeorm-error";

/** The TypeORM release lines this library supports. */
export type TypeOrmLineName = "0.3" | "1.x";

/**
 * The one place that knows how the TypeORM lines differ. Everything else is written once, against
 * what both lines have in common:
 *
 * - **Drivers.** 1.x removed `type: "sqlite"` (the `sqlite3` package); `better-sqlite3` and `sqljs`
 *   exist on both lines. See {@link TypeOrmLine.hasDriver}.
 * - **Lock modes.** 1.x removed `pessimistic_partial_write` and `pessimistic_write_or_fail` (in
 *   favour of `setOnLocked("skip_locked" | "nowait")`): its find options ignore them and its query
 *   builder renders no locking clause for them. See {@link TypeOrmLine.hasLockMode}.
 * - **`connection` vs `dataSource`.** 0.3 runners, managers and query builders have a `connection`
 *   field; 1.x has `dataSource` and a read-only `connection` getter. Reading `connection` works on
 *   both; the library never assigns either (the native runner constructor does).
 * - **`Symbol.asyncDispose`.** 1.x runners commit any open transaction and release on `await using`.
 *   The shared runner defines its own on both lines: it ends the runner's own transaction and
 *   releases it, and never touches the test's ambient transaction below.
 * - **Isolation levels.** 1.x has a DataSource-level `isolationLevel` option, validated by
 *   `initialize()` and applied by every `startTransaction()` without a level of its own; 0.3 has
 *   none. See {@link TypeOrmLine.appliesDataSourceIsolationLevel} and `isolationPolicy`.
 * - **Type-only exports.** The library imports TypeORM values only from the package root, which both
 *   lines export as values (1.x's `index.mjs` re-exports the CommonJS build, so `instanceof` holds
 *   across import styles); everything else is `import type`.
 */
export interface TypeOrmLine {
  /** The line of the running TypeORM. */
  readonly name: TypeOrmLineName;
  /** The running TypeORM's version, e.g. `"0.3.29"`. */
  readonly version: string;
  /** Whether the running TypeORM has the driver for DataSource option `type`. */
  hasDriver(type: string): boolean;
  /** Whether the running TypeORM has the lock mode `mode` (`setLock()`, find options' `lock`). */
  hasLockMode(mode: LockMode): boolean;
  /** Whether the running TypeORM has and applies the DataSource option `isolationLevel` (1.x). */
  readonly appliesDataSourceIsolationLevel: boolean;
  /**
   * Whether the running TypeORM's Postgres driver turns a `timestamptz` column's value into a
   * `Date` before sending it (1.x), as it does for `timestamp with time zone`; 0.3 sends it as given.
   */
  readonly convertsTimestamptz: boolean;
}

/** The lock modes of `setLock()` and find options' `lock` on either line. */
export type LockMode =
  | "optimistic"
  | "pessimistic_read"
  | "pessimistic_write"
  | "dirty_read"
  | "pessimistic_partial_write"
  | "pessimistic_write_or_fail"
  | "for_no_key_update"
  | "for_key_share";

/** What each line lacks, compared with the union of both. */
interface MissingFeatures {
  readonly drivers: readonly string[];
  readonly lockModes: readonly LockMode[];
}

const MISSING: Record<TypeOrmLineName, MissingFeatures> = {
  "0.3": { drivers: [], lockModes: [] },
  "1.x": { drivers: ["sqlite"], lockModes: ["pessimistic_partial_write", "pessimistic_write_or_fail"] },
};

let running: TypeOrmLine | undefined;

/** The line of the TypeORM that `require("typeorm")` loads from this package. */
export function runningTypeOrmLine(): TypeOrmLine {
  running ??= typeOrmLineOf(installedTypeOrmVersion());
  return running;
}

/** The line a TypeORM version belongs to; throws for versions outside the peer range. */
export function typeOrmLineOf(version: string): TypeOrmLine {
  const name = lineName(version);
  if (!name) throw new IncompatibleTypeOrmError(`TypeORM 0.3 (0.3.20 or later) or 1.x, but found ${version}`);
  const missing = MISSING[name];
  return {
    name,
    version,
    hasDriver: (type) => !missing.drivers.includes(type),
    hasLockMode: (mode) => !missing.lockModes.includes(mode),
    appliesDataSourceIsolationLevel: name === "1.x",
    convertsTimestamptz: name === "1.x",
  };
}

function lineName(version: string): TypeOrmLineName | undefined {
  const [major, minor] = version.split(/[.+-]/).map(Number);
  if (major === 1) return "1.x";
  // Older 0.3 patches are outside the peer range but may work; only other lines are refused.
  if (major === 0 && minor === 3) return "0.3";
  return undefined;
}

/**
 * Read from the package.json next to TypeORM's entry point: both lines' `exports` maps hide
 * `typeorm/package.json` itself.
 */
function installedTypeOrmVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const manifest = require(path.join(path.dirname(require.resolve("typeorm")), "package.json")) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new IncompatibleTypeOrmError("typeorm's package.json to have a version");
  return manifest.version;
}
