/** An in-memory SQLite engine: its `engine` setting, the TypeORM driver it runs on and the package that driver needs. */
export interface InMemoryEngine {
  readonly name: "sqlite3" | "better-sqlite3" | "sqljs";
  /** TypeORM's DataSource option `type`. */
  readonly driverType: string;
  /** The npm package TypeORM's driver loads. */
  readonly packageName: string;
}

/** The in-memory engines, in the order the default tries them. */
export const IN_MEMORY_ENGINES: readonly InMemoryEngine[] = [
  { name: "sqlite3", driverType: "sqlite", packageName: "sqlite3" },
  { name: "better-sqlite3", driverType: "better-sqlite3", packageName: "better-sqlite3" },
  // Last: WebAssembly, no native build, but the slowest of the three.
  { name: "sqljs", driverType: "sqljs", packageName: "sql.js" },
];

export function inMemoryEngine(name: InMemoryEngine["name"]): InMemoryEngine {
  return IN_MEMORY_ENGINES.find((engine) => engine.name === name)!;
}
