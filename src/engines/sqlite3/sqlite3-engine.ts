import { QueryFailedError, type QueryRunner } from "typeorm";
import { SqliteFamilyEngine } from "../sqlite-family/sqlite-family-engine";

type Exec = (this: object, sql: string, callback: (error: Error | null) => void) => unknown;

interface Sqlite3Package {
  Database: { prototype: { exec: Exec } };
}

// node-sqlite3's own `exec`, as first seen: TypeORM calls `verbose()`, which wraps every method to
// record a stack for its error messages, at a cost of about 10 µs per call.
const untracedExecs = new WeakMap<object, Exec>();

function untracedExec(driverPackage: Sqlite3Package): Exec {
  const prototype = driverPackage.Database.prototype;
  let exec = untracedExecs.get(prototype);
  if (!exec) untracedExecs.set(prototype, (exec = prototype.exec));
  return exec;
}

/** In-memory SQLite through the `sqlite3` package (TypeORM 0.3's `type: "sqlite"`; 1.x removed it). */
export class Sqlite3Engine extends SqliteFamilyEngine {
  private readonly exec: Exec;

  constructor() {
    super("sqlite3");
    this.exec = untracedExec(this.driverPackage as Sqlite3Package);
  }

  /**
   * node-sqlite3's `exec`: one trip to its thread pool, where TypeORM's `query()` takes two (prepare,
   * then step), and none of its JavaScript. The library sends such a statement for every
   * application transaction (its savepoint) and two for every test that writes.
   */
  override runControl(runner: QueryRunner, sql: string): Promise<void> {
    const database = (runner as unknown as { driver: { databaseConnection: object } }).driver.databaseConnection;
    return new Promise((resolve, reject) => {
      this.exec.call(database, sql, (error) => (error ? reject(new QueryFailedError(sql, undefined, error)) : resolve()));
    });
  }
}
