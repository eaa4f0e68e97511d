/** A TypeORM line and an in-memory engine the suite runs on. */
export interface TestCombination {
  /** `"0.3"` runs the `typeorm` dev dependency; `"1.x"` runs `typeorm-1` (an npm alias of typeorm 1.x) in its place. */
  readonly typeorm: "0.3" | "1.x";
  /** The only in-memory engine package the suite can load: the library's default picks it. */
  readonly engine: "sqlite3" | "better-sqlite3" | "sqljs";
}

/** Every combination CI runs; the README's compatibility table lists the same. The first is `npm test`'s. */
export const COMBINATIONS: readonly TestCombination[] = [
  { typeorm: "0.3", engine: "sqlite3" },
  { typeorm: "0.3", engine: "better-sqlite3" },
  { typeorm: "0.3", engine: "sqljs" },
  { typeorm: "1.x", engine: "better-sqlite3" },
  { typeorm: "1.x", engine: "sqljs" },
];

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
  return { TEST_TYPEORM: combination.typeorm, TEST_ENGINE: combination.engine };
}

/** The combination this process runs, from `TEST_TYPEORM` and `TEST_ENGINE`; unset, the first TypeORM 0.3 one. */
export function currentCombination(env: NodeJS.ProcessEnv = process.env): TestCombination {
  const typeorm = env.TEST_TYPEORM ?? "0.3";
  const engine = env.TEST_ENGINE ?? COMBINATIONS.find((c) => c.typeorm === typeorm)?.engine;
  const combination = COMBINATIONS.find((c) => c.typeorm === typeorm && c.engine === engine);
  if (!combination) {
    const known = COMBINATIONS.map((c) => `TEST_TYPEORM=${c.typeorm} TEST_ENGINE=${c.engine}`).join("; ");
    throw new Error(`Unknown test combination TEST_TYPEORM=${typeorm} TEST_ENGINE=${engine ?? ""}. Known: ${known}`);
  }
  return combination;
}

/** The combination of this test run. */
export const testCombination = currentCombination();
