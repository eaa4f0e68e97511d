import { IncompatibleTypeOrmError } from "../../errors/incompatible-typeorm-error";
import type { ReplicaSet } from "../replica-set";

type Callback<T extends unknown[]> = (error: unknown, ...result: T) => void;

/** What a Postgres driver of either TypeORM line has for replica connections: one `pg` pool per slave. */
interface PostgresReplicaSurface {
  slaves: { connect(callback: Callback<[unknown, (error?: unknown) => void]>): void }[];
  obtainMasterConnection(): Promise<unknown>;
  obtainSlaveConnection(): Promise<unknown>;
}

/** What a MySQL/MariaDB driver of either TypeORM line has: a pool cluster with nodes `MASTER`, `SLAVE0`, `SLAVE1`, …. */
interface MysqlReplicaSurface {
  poolCluster?: { getConnection(pattern: string, callback: Callback<[unknown]>): void };
  obtainMasterConnection(): Promise<unknown>;
  obtainSlaveConnection(): Promise<unknown>;
  prepareDbConnection(connection: unknown): unknown;
}

/** The driver types whose replica connections routing chooses, and how. */
const CHOOSERS: Readonly<Record<string, (driver: object, replicas: ReplicaSet) => void>> = {
  postgres: choosePostgresReplica,
  mysql: chooseMysqlReplica,
  mariadb: chooseMysqlReplica,
};

/** Whether routing chooses the replica connections of a driver of DataSource option `type`. */
export function canChooseReplicaConnections(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(CHOOSERS, type);
}

/**
 * Makes `driver` (a production DataSource's, of a type {@link canChooseReplicaConnections}
 * accepts) connect each replica runner to the replica `replicas` chooses, instead of TypeORM's
 * own choice (random on Postgres, the pool cluster's selector on MySQL).
 *
 * @throws IncompatibleTypeOrmError when the driver lacks what TypeORM 0.3 and 1.x both have (nothing is patched).
 */
export function chooseReplicaConnections(type: string, driver: object, replicas: ReplicaSet): void {
  CHOOSERS[type]!(driver, replicas);
}

function checkMethods(driver: object, type: string, methods: readonly string[]): void {
  for (const method of methods) {
    if (typeof (driver as Record<string, unknown>)[method] !== "function")
      throw new IncompatibleTypeOrmError(`the ${type} driver's ${method} to be a method`);
  }
}

// The same connection TypeORM's obtainSlaveConnection makes, to the chosen pool instead of a random one.
function choosePostgresReplica(target: object, replicas: ReplicaSet): void {
  checkMethods(target, "postgres", ["obtainMasterConnection", "obtainSlaveConnection"]);
  const driver = target as PostgresReplicaSurface;
  if (!Array.isArray(driver.slaves)) throw new IncompatibleTypeOrmError("the postgres driver's slaves to be an array of pools");
  driver.obtainSlaveConnection = () => {
    const index = driver.slaves.length > 0 ? replicas.next() : undefined;
    const pool = index === undefined ? undefined : driver.slaves[index];
    if (!pool) return driver.obtainMasterConnection();
    return new Promise((resolve, reject) => {
      pool.connect((error, connection, release) => (error ? reject(error) : resolve([connection, release])));
    });
  };
}

// TypeORM names the cluster's nodes SLAVE0, SLAVE1, … in the order of replication.slaves; a
// pattern without `*` matches one node exactly, so the cluster's own selector has nothing to choose.
function chooseMysqlReplica(target: object, replicas: ReplicaSet): void {
  checkMethods(target, "mysql", ["obtainMasterConnection", "obtainSlaveConnection", "prepareDbConnection"]);
  const driver = target as MysqlReplicaSurface;
  driver.obtainSlaveConnection = () => {
    const cluster = driver.poolCluster;
    const index = cluster ? replicas.next() : undefined;
    if (!cluster || index === undefined) return driver.obtainMasterConnection();
    return new Promise((resolve, reject) => {
      cluster.getConnection(`SLAVE${index}`, (error, connection) =>
        error ? reject(error) : resolve(driver.prepareDbConnection(connection)),
      );
    });
  };
}
