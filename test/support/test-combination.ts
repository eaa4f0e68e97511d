/** A TypeORM line and an in-memory engine the suite runs on. */
export interface TestCombination {
  /** `"0.3"` runs the `typeorm` dev dependency; `"1.x"` runs `typeorm-1` (an npm alias of typeorm 1.x) in its place. */
  readonly typeorm: "0.3" | "1.x";
  /** The only in-memory engine package the suite can load: the library's default picks it. */
  readonly engine: "sqlite3" | "better-sqlite3" | "sqljs";
  /**
   * `"pglite"` (selected with `TEST_ENGINE=pglite`): `@electric-sql/pglite` is installed as well, so
   * the suite's Postgres application runs on PGlite by default, and `engine` serves what asks for
   * SQLite. Unset, PGlite looks uninstalled and Postgres applications default to `engine`.
   */
  readonly postgres?: "pglite";
}

/** Every combination CI runs; the README's compatibility table lists the same. The first is `npm test`'s. */
export const COMBINATIONS: readonly TestCombination[] = [
  { typeorm: "0.3", engine: "sqlite3" },
  { typeorm: "0.3", engine: "sqlite3", postgres: "pglite" },
  { typeorm: "0.3", engine: "better-sqlite3" },
  { typeorm: "0.3", engine: "sqljs" },
  { typeorm: "1.x", engine: "better-sqlite3" },
  { typeorm: "1.x", engine: "sqljs" },
  { typeorm: "1.x", engine: "better-sqlite3", postgres: "pglite" },
];

/** The package of the `"pglite"` engine. */
export const PGLITE_PACKAGE = "@electric-sql/pglite";

/** The in-memory engines' driver packages, by engine. */
export const ENGINE_PACKAGES: Readonly<Record<TestCombination["engine"], string>> = {
  sqlite3: "sqlite3",
  "better-sqlite3": "better-sqlite3",
  sqljs: "sql.js",
};

/** TypeORM's DataSource option `type` of each engine. */
export const DRIVER_TYPES: Readonly<Record<TestCombination["engine"], string>> = {
  sqlite3: "sqlite",
  "better-sqlite3": "better-sqlite3",
  sqljs: "sqljs",
};

/**
 * Options of a plain in-memory DataSource on `engine`, as an application writes them: sql.js's
 * `database` option is a file's bytes, so it takes none.
 */
export function plainInMemoryOptions(engine: TestCombination["engine"]): { readonly type: string; readonly database?: string } {
  return engine === "sqljs" ? { type: DRIVER_TYPES[engine] } : { type: DRIVER_TYPES[engine], database: ":memory:" };
}

/** The environment that selects `combination`: `TEST_TYPEORM` and `TEST_ENGINE`. */
export function combinationEnv(combination: TestCombination): Record<string, string> {
  return { TEST_TYPEORM: combination.typeorm, TEST_ENGINE: combination.postgres ?? combination.engine };
}

/** A combination's name in reports: `TypeORM 0.3 + sqlite3`, `TypeORM 0.3 + pglite (and sqlite3)`. */
export function combinationName(combination: TestCombination): string {
  const engines = combination.postgres ? `${combination.postgres} (and ${combination.engine})` : combination.engine;
  return `TypeORM ${combination.typeorm} + ${engines}`;
}

/** The combination this process runs, from `TEST_TYPEORM` and `TEST_ENGINE`; unset, the first TypeORM 0.3 one. */
export function currentCombination(env: NodeJS.ProcessEnv = process.env): TestCombination {
  const typeorm = env.TEST_TYPEORM ?? "0.3";
  const engine = env.TEST_ENGINE ?? COMBINATIONS.find((c) => c.typeorm === typeorm)?.engine;
  const combination = COMBINATIONS.find((c) => c.typeorm === typeorm && (c.postgres ?? c.engine) === engine);
  if (!combination) {
    const known = COMBINATIONS.map((c) => `TEST_TYPEORM=${c.typeorm} TEST_ENGINE=${c.postgres ?? c.engine}`).join("; ");
    throw new Error(`Unknown test combination TEST_TYPEORM=${typeorm} TEST_ENGINE=${engine ?? ""}. Known: ${known}`);
  }
  return combination;
}

/** The combination of this test run. */
export const testCombination = currentCombination();
