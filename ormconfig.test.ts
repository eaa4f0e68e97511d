import "reflect-metadata";
import type { DataSourceOptions } from "typeorm";
import { SharedReplicationDataSource, type SharedReplicationSettings } from "./src";
import { blogEntities } from "./test/fixtures/blog-entities";

/**
 * The project's own test DataSource. `productionOptions` is what an application would use in
 * production: Postgres, one master and two replicas. The tests run it on the shared engine.
 */
export const productionOptions: DataSourceOptions = {
  type: "postgres",
  entities: blogEntities,
  replication: {
    master: { host: "primary.db.internal", username: "app", password: "secret", database: "blog" },
    slaves: [
      { host: "replica-1.db.internal", username: "app", password: "secret", database: "blog" },
      { host: "replica-2.db.internal", username: "app", password: "secret", database: "blog" },
    ],
  },
};

export function createTestDataSource(settings: SharedReplicationSettings = {}, options: Partial<DataSourceOptions> = {}) {
  return new SharedReplicationDataSource({ ...productionOptions, ...options } as DataSourceOptions, settings);
}
