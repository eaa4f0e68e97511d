import { QueryFailedError, type Driver, type QueryRunner } from "typeorm";
import type { PhysicalConnection } from "../../connection/shared-connection";
import type { ApplicationFamily } from "../../data-source/application-type";
import { SqliteFamilyEngine } from "../sqlite-family/sqlite-family-engine";
import { bindIntegerParameters } from "./bound-integer-parameters";
import { Sqlite3StatementCache, type Sqlite3StatementApi } from "./sqlite3-statement-cache";

type Exec = (this: object, sql: string, callback: (error: Error | null) => void) => unknown;

interface Sqlite3Package {
  Database: { prototype: { exec: Exec } };
  Statement: Sqlite3StatementApi["Statement"] & { prototype: Omit<Sqlite3StatementApi, "Statement"> };
}

/** node-sqlite3's own methods that the engine calls directly. */
interface UntracedMethods extends Sqlite3StatementApi {
  readonly exec: Exec;
}

// node-sqlite3's own methods, as first seen: TypeORM calls `verbose()`, which wraps every method to
// record a stack and print its arguments for its error messages, at a cost of about 10 µs per call.
const untracedMethods = new WeakMap<object, UntracedMethods>();

function untraced(driverPackage: Sqlite3Package): UntracedMethods {
  let methods = untracedMethods.get(driverPackage.Database.prototype);
  if (!methods) {
    const { all, run, finalize } = driverPackage.Statement.prototype;
    methods = { exec: driverPackage.Database.prototype.exec, Statement: driverPackage.Statement, all, run, finalize };
    untracedMethods.set(driverPackage.Database.prototype, methods);
  }
  return methods;
}

/** In-memory SQLite through the `sqlite3` package (TypeORM 0.3's `type: "sqlite"`; 1.x removed it). */
export class Sqlite3Engine extends SqliteFamilyEngine {
  private readonly methods: UntracedMethods;

  /** @param family The application's: a Postgres or MySQL application's integers are sent as parameters, as production sends them. */
  constructor(private readonly family: ApplicationFamily) {
    super("sqlite3");
    this.methods = untraced(this.driverPackage as Sqlite3Package);
  }

  /** Once TypeORM opened the connection, its statements are kept prepared (see {@link Sqlite3StatementCache}). */
  physicalConnection(driver: Driver, native: PhysicalConnection): PhysicalConnection {
    this.prepareDriver(driver);
    return {
      open: async () => {
        await native.open();
        Sqlite3StatementCache.install((driver as unknown as { databaseConnection: object }).databaseConnection, this.methods);
      },
      close: () => native.close(),
    };
  }

  override adoptConnection(driver: Driver, owner: Driver): void {
    this.prepareDriver(driver);
    super.adoptConnection(driver, owner);
  }

  /**
   * node-sqlite3's `exec`: one trip to its thread pool, where TypeORM's `query()` takes two (prepare,
   * then step), and none of its JavaScript. The library sends such a statement for every
   * application transaction (its savepoint) and two for every test that writes.
   */
  override runControl(runner: QueryRunner, sql: string): Promise<void> {
    const database = (runner as unknown as { driver: { databaseConnection: object } }).driver.databaseConnection;
    return new Promise((resolve, reject) => {
      this.methods.exec.call(database, sql, (error) => (error ? reject(new QueryFailedError(sql, undefined, error)) : resolve()));
    });
  }

  private prepareDriver(driver: Driver): void {
    if (this.family !== "sqlite") bindIntegerParameters(driver);
  }
}
