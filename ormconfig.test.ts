import "reflect-metadata";
import type { DataSourceOptions } from "typeorm";
import { SharedReplicationDataSource, type SharedReplicationSettings } from "./src";
import { blogEntities } from "./test/fixtures/blog-entities";

/**
 * The real server this run's tests use, from `TEST_SERVER` (`postgres` or `mariadb`); unset, the
 * in-memory default. One suite, parameterised: `.ci/run` runs it once per engine.
 */
export const testServer = (process.env.TEST_SERVER || undefined) as "postgres" | "mariadb" | undefined;

/**
 * The database the suite's Postgres application really runs on when it is not SQLite: the server
 * of a server leg, or `"postgres"` in the PGlite leg (`TEST_ENGINE=pglite`), where it defaults to
 * PGlite. `undefined`: in-memory SQLite with production fidelity.
 */
export const testDatabase: "postgres" | "mariadb" | undefined =
  testServer ?? (process.env.TEST_ENGINE === "pglite" ? "postgres" : undefined);

/**
 * The project's own test DataSource. `productionOptions` is what an application would use in
 * production: Postgres (MariaDB in the MariaDB leg, which tests a MariaDB application), one master
 * and two replicas. The tests run it on the shared engine.
 */
export const productionOptions: DataSourceOptions = {
  type: testServer === "mariadb" ? "mariadb" : "postgres",
  entities: blogEntities,
  replication: {
    master: { host: "primary.db.internal", username: "app", password: "secret", database: "blog" },
    slaves: [
      { host: "replica-1.db.internal", username: "app", password: "secret", database: "blog" },
      { host: "replica-2.db.internal", username: "app", password: "secret", database: "blog" },
    ],
  },
};

/**
 * Connection settings of the machine's servers (trust auth / empty root password), for the server
 * legs. `TEST_SERVER_DATABASE` names the suite's database (`test_suite` by default), so two runs at
 * once do not drop each other's.
 */
export function serverEngine(type: "postgres" | "mariadb", database = process.env.TEST_SERVER_DATABASE || "suite") {
  return { type, host: "127.0.0.1", database, username: type === "postgres" ? "postgres" : "root" } as const;
}

export function createTestDataSource(settings: SharedReplicationSettings = {}, options: Partial<DataSourceOptions> = {}) {
  // A DataSource sharing another's connection runs on that one's engine.
  const engine = settings.engine ?? (testServer && !settings.shareConnectionWith ? serverEngine(testServer) : undefined);
  return new SharedReplicationDataSource(
    { ...productionOptions, ...options } as DataSourceOptions,
    engine ? { ...settings, engine } : settings,
  );
}
