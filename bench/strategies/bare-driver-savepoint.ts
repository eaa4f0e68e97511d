import { promisify } from "node:util";
import sqlite3 from "sqlite3";
import { testDatabaseOf } from "../workload/bench-data-sources";
import type { Strategy, StrategyDefinition, StrategyOptions } from "./strategy";

// The pg package has no bundled types; this is all the benchmark uses of it.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
type PgModule = { Client: new (config: Record<string, unknown>) => PgClient };

/** Runs one statement on the bare driver connection. */
type Execute = (sql: string) => Promise<unknown>;

/**
 * The reference cost of isolation itself: the floor's `SAVEPOINT` + `ROLLBACK TO` sent straight
 * through the driver package (sqlite3 or pg): no TypeORM, no test body.
 */
export class BareDriverSavepoint implements Strategy {
  private execute: Execute | undefined;
  private close: (() => Promise<void>) | undefined;

  constructor(private readonly options: StrategyOptions) {}

  async beginGroup(): Promise<void> {
    if (this.options.engine === "sqlite") {
      const database = new sqlite3.Database(":memory:");
      this.execute = (sql) => new Promise<void>((resolve, reject) => database.run(sql, (error) => (error ? reject(error) : resolve())));
      this.close = promisify(database.close.bind(database));
    } else {
      const server = this.options.server!;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pg = require("pg") as PgModule;
      const client = new pg.Client({ host: server.host, port: server.port, user: server.username, database: testDatabaseOf(server) });
      await client.connect();
      this.execute = (sql) => client.query(sql);
      this.close = () => client.end();
    }
    await this.execute("BEGIN");
  }

  async runTest(): Promise<void> {
    await this.execute!("SAVEPOINT bench_test");
    await this.execute!("ROLLBACK TO SAVEPOINT bench_test");
  }

  async endGroup(): Promise<void> {
    await this.execute?.("ROLLBACK");
    await this.close?.();
  }
}

export const bareDriverSavepoint: StrategyDefinition = {
  id: "ref",
  name: "bare driver: SAVEPOINT + ROLLBACK TO alone, no body",
  shortName: "bare driver savepoints",
  create: (options) => new BareDriverSavepoint(options),
};
