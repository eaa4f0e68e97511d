import type { DataSourceOptions, Driver, QueryRunner } from "typeorm";
import { standardTransactionDialect } from "../../connection/transaction-dialect";
import type { ApplicationOptions } from "../../data-source/option-classification";
import { EngineNotSupportedError } from "../../errors/engine-not-supported-error";
import { runningTypeOrmLine } from "../../typeorm/typeorm-line";
import type { Engine } from "../engine";
import { loadDriverPackage } from "../load-driver-package";
import { runOnSyncSqlite } from "../run-control";
import { IN_MEMORY_ENGINES, inMemoryEngine, type InMemoryEngine } from "./in-memory-engines";

interface SqliteFamilyDriver {
  databaseConnection: unknown;
}

/**
 * What the in-memory SQLite engines have in common: one `:memory:` database, the driver package
 * handed to TypeORM (so TypeORM never has to resolve it from its own location), and SQLite's way
 * of emptying tables. Subclasses add what their driver needs.
 */
export abstract class SqliteFamilyEngine implements Engine {
  readonly name: InMemoryEngine["name"];
  readonly dialect = standardTransactionDialect;
  readonly laggingReplicas = "sqlite";
  protected readonly driverPackage: unknown;
  readonly driverType: string;

  /**
   * @throws EngineNotSupportedError when the running TypeORM has no driver for this engine.
   * @throws EngineNotInstalledError when the driver package cannot be loaded.
   */
  protected constructor(name: InMemoryEngine["name"]) {
    const engine = inMemoryEngine(name);
    const line = runningTypeOrmLine();
    // Checked before loading the package: "install it" would be the wrong advice.
    if (!line.hasDriver(engine.driverType)) {
      const alternatives = IN_MEMORY_ENGINES.filter((candidate) => line.hasDriver(candidate.driverType));
      throw new EngineNotSupportedError(name, engine.driverType, line.version, alternatives);
    }
    this.name = name;
    this.driverType = engine.driverType;
    this.driverPackage = loadDriverPackage(name, engine.packageName);
  }

  dataSourceOptions(application: ApplicationOptions): DataSourceOptions {
    return { ...application, ...this.inMemoryDatabase(), type: this.driverType, driver: this.driverPackage } as DataSourceOptions;
  }

  /** The driver options that select a private in-memory database. */
  protected inMemoryDatabase(): Record<string, unknown> {
    return { database: ":memory:" };
  }

  async emptyTables(execute: (sql: string) => Promise<unknown>, tables: readonly string[]): Promise<void> {
    await execute("PRAGMA foreign_keys = OFF");
    try {
      for (const table of tables) await execute(`DELETE FROM ${table}`);
      // sqlite_sequence exists only once an AUTOINCREMENT table exists.
      const sequences = (await execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")) as unknown[];
      if (sequences.length > 0) await execute("DELETE FROM sqlite_sequence");
    } finally {
      await execute("PRAGMA foreign_keys = ON");
    }
  }

  /** The driver's synchronous `exec` (better-sqlite3, sql.js): none of TypeORM's JavaScript around the statement. */
  runControl(runner: QueryRunner, sql: string): Promise<void> {
    return runOnSyncSqlite(runner, sql);
  }

  adoptConnection(driver: Driver, owner: Driver): void {
    (driver as unknown as SqliteFamilyDriver).databaseConnection = (owner as unknown as SqliteFamilyDriver).databaseConnection;
  }
}
