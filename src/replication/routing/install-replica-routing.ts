import type { DataSource, QueryRunner, ReplicationMode } from "typeorm";
import { APPLICATION_TYPES, type ApplicationFamily } from "../../data-source/application-type";
import { IncompatibleTypeOrmError } from "../../errors/incompatible-typeorm-error";
import { InvalidRoutingOptionError } from "../../errors/invalid-routing-option-error";
import { classifyStatement } from "../../sql/statement-classifier";
import { ReplicaSet } from "../replica-set";
import { canChooseReplicaConnections, chooseReplicaConnections } from "./driver-replica-connection";
import { ReplicaRouting } from "./replica-routing";
import type { ReplicaSelection } from "./replica-selection";
import { currentPin, readsFromPrimary } from "./routing-scope";

/**
 * Options of {@link installReplicaRouting}.
 *
 * @example
 * ```ts
 * installReplicaRouting(dataSource, { select: (replicas) => replicas[0]! });
 * ```
 */
export interface ReplicaRoutingOptions {
  /**
   * How a replica read picks its replica: `"round-robin"`, `"random"` or a function
   * `(replicas, context) => index`; see {@link ReplicaSelection}. Postgres, MySQL and MariaDB
   * DataSources and `SharedReplicationDataSource` only: other drivers choose their replicas
   * themselves. The default is `"round-robin"`; left out on a later call, the strategy is kept.
   */
  readonly select?: ReplicaSelection;
}

/** What routing needs of a TypeORM driver, on both lines. */
interface RoutedDriver {
  readonly isReplicated: boolean;
  readonly options: { readonly type?: unknown; readonly replication?: { readonly slaves?: readonly unknown[] } };
  createQueryRunner(mode?: ReplicationMode): QueryRunner;
}

const installed = new WeakMap<DataSource, ReplicaRouting>();

/**
 * Installs replica routing on one TypeORM DataSource, patching that instance only (never a
 * prototype, so other DataSources are untouched): `usePrimary`, `@UsePrimary()` and pinning
 * (`replicaPinning`, `withReplicaPinning`) send its replica reads to the primary inside their
 * scopes, writes that reach its master pin a pinning scope, and its replica reads pick a replica
 * by the `select` strategy among the replicas in rotation. Works on TypeORM 0.3 and 1.x, on a
 * DataSource before or after `initialize()`.
 *
 * Idempotent: a later call returns the same {@link ReplicaRouting} and applies the options it is
 * given. A `SharedReplicationDataSource` has it installed already; call this on it to change the
 * strategy or to take simulated replicas out of rotation.
 *
 * On a DataSource without `replication` it is a no-op by design (the same code runs against a
 * single database in development): every read already goes to the only database, and the
 * returned routing has `replicaCount` 0.
 *
 * @returns the DataSource's routing, to take replicas out of rotation and back.
 * @throws IncompatibleTypeOrmError when the DataSource or its driver lacks what TypeORM 0.3 and
 * 1.x have (nothing is patched).
 * @throws InvalidRoutingOptionError for an unknown `select` strategy, or `select` on a replicated
 * driver other than Postgres, MySQL or MariaDB (nothing is patched).
 *
 * @example
 * ```ts
 * export const AppDataSource = new DataSource(productionOptions);
 * installReplicaRouting(AppDataSource, { select: "round-robin" });
 * ```
 */
export function installReplicaRouting(dataSource: DataSource, options: ReplicaRoutingOptions = {}): ReplicaRouting {
  // Refused before anything is patched.
  if (options.select !== undefined) new ReplicaSet(0).select(options.select);
  let routing = installed.get(dataSource);
  if (!routing) {
    const driver = checkedDriver(dataSource);
    const type = String(driver.options.type);
    const replicas = new ReplicaSet(driver.isReplicated ? (driver.options.replication?.slaves?.length ?? 0) : 0);
    const unsupported =
      driver.isReplicated && !canChooseReplicaConnections(type)
        ? `no replica selection on a "${type}" DataSource: its TypeORM driver chooses replicas itself (only Postgres, MySQL and MariaDB drivers are routed)`
        : undefined;
    if (unsupported && options.select !== undefined) throw new InvalidRoutingOptionError("select", options.select, unsupported);
    if (driver.isReplicated && !unsupported) chooseReplicaConnections(type, driver, replicas);
    routing = new ReplicaRouting(replicas, unsupported);
    routeReads(dataSource, driver, true);
    installed.set(dataSource, routing);
  }
  if (options.select !== undefined) routing.select(options.select);
  return routing;
}

/**
 * Built into `SharedReplicationDataSource`: its replica runners already take their replica from
 * `replicas`, so only the reads are routed, and its executor, which classifies every statement
 * already, pins on writes (see {@link pinOnWrite}).
 */
export function attachReplicaRouting(dataSource: DataSource, replicas: ReplicaSet): ReplicaRouting {
  const routing = new ReplicaRouting(replicas, undefined);
  routeReads(dataSource, checkedDriver(dataSource), false);
  installed.set(dataSource, routing);
  return routing;
}

// The one path every TypeORM read takes to a runner: DataSource.createQueryRunner(mode) calls the
// driver's, so the query builder's, managers', repositories' and the result cache's reads all pass here.
function routeReads(dataSource: DataSource, driver: RoutedDriver, pinsOnWrite: boolean): void {
  const createQueryRunner = driver.createQueryRunner;
  const family = statementFamily(dataSource.options.type);
  driver.createQueryRunner = (mode: ReplicationMode = "master") => {
    const routed = mode === "slave" && readsFromPrimary() ? "master" : mode;
    const runner = createQueryRunner.call(driver, routed);
    if (routed === "master" && pinsOnWrite) pinOnWrite(runner, family);
    return runner;
  };
}

/** A write reached the master: the pinning scope it runs in, if any, reads from the primary from now on. */
export function noteWriteForPinning(): void {
  const pin = currentPin();
  if (pin && !pin.wrote) pin.markWrote();
}

/** A write statement through a master runner pins the pinning scope it runs in (read-your-writes). */
function pinOnWrite(runner: QueryRunner, family: ApplicationFamily): void {
  const query = runner.query;
  if (typeof query !== "function") throw new IncompatibleTypeOrmError("QueryRunner.query to be a method");
  runner.query = function (this: QueryRunner, sql: string, ...rest: unknown[]) {
    if (classifyStatement(sql, family) === "write") noteWriteForPinning();
    return (query as (...args: unknown[]) => Promise<unknown>).call(this, sql, ...rest);
  } as QueryRunner["query"];
}

// The SQL a runner receives is its driver's dialect; drivers this library does not know write
// SQL whose writes the Postgres reading of INSERT/UPDATE/DELETE/DDL still recognises.
function statementFamily(type: unknown): ApplicationFamily {
  return (
    (typeof type === "string" && Object.prototype.hasOwnProperty.call(APPLICATION_TYPES, type) && APPLICATION_TYPES[type]) || "postgres"
  );
}

function checkedDriver(dataSource: DataSource): RoutedDriver {
  const driver = (dataSource as { driver?: Partial<RoutedDriver> }).driver;
  if (typeof driver !== "object" || driver === null) throw new IncompatibleTypeOrmError("DataSource.driver to be an object");
  if (typeof driver.createQueryRunner !== "function") throw new IncompatibleTypeOrmError("Driver.createQueryRunner to be a method");
  if (typeof driver.isReplicated !== "boolean") throw new IncompatibleTypeOrmError("Driver.isReplicated to be a boolean");
  if (typeof driver.options !== "object" || driver.options === null) throw new IncompatibleTypeOrmError("Driver.options to be an object");
  return driver as RoutedDriver;
}
