import { SqliteFamilyEngine } from "../sqlite-family/sqlite-family-engine";

/**
 * In-memory SQLite through the `sql.js` package (`type: "sqljs"`, both TypeORM lines): SQLite
 * compiled to WebAssembly, so nothing is built natively on install.
 */
export class SqljsEngine extends SqliteFamilyEngine {
  constructor() {
    super("sqljs");
  }

  /** sql.js databases are in memory unless `location` names a file; its `database` option is a file's bytes. */
  protected override inMemoryDatabase(): Record<string, unknown> {
    return {};
  }
}
