import type { DataSourceOptions, Driver } from "typeorm";
import { standardTransactionDialect } from "../../connection/transaction-dialect";
import type { PortableOptions } from "../../data-source/portable-options";
import type { Engine } from "../engine";
import { loadDriverPackage } from "../load-driver-package";

interface SqliteFamilyDriver {
  databaseConnection: unknown;
}

/** In-memory SQLite through the `sqlite3` package (TypeORM's `type: "sqlite"`). */
export class Sqlite3Engine implements Engine {
  readonly name = "sqlite3";
  readonly dialect = standardTransactionDialect;
  private readonly sqlite3: unknown;

  constructor() {
    this.sqlite3 = loadDriverPackage("sqlite3", "sqlite3");
  }

  dataSourceOptions(portable: PortableOptions): DataSourceOptions {
    return { ...portable, type: "sqlite", database: ":memory:", driver: this.sqlite3 };
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

  adoptConnection(driver: Driver, owner: Driver): void {
    (driver as unknown as SqliteFamilyDriver).databaseConnection = (owner as unknown as SqliteFamilyDriver).databaseConnection;
  }
}
