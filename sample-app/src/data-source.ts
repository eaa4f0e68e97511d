import { DataSource, type DataSourceOptions } from "typeorm";
import { installReplicaRouting } from "typeorm-shared-replication";
import { Customer, Order, OrderLine, Product, Tag } from "./entities";

const env = process.env;

function server(host: string | undefined) {
  return {
    host: host ?? "localhost",
    port: Number(env.DB_PORT ?? 5432),
    username: env.DB_USER ?? "shop",
    password: env.DB_PASSWORD,
    database: env.DB_NAME ?? "shop",
  };
}

/**
 * Production: one Postgres primary that takes every write, and two streaming replicas that serve
 * reads. TypeORM sends `find*`, `count` and query-builder reads to a replica, everything else
 * (saves, updates, `query()`, transactions) to the primary.
 */
export const productionOptions: DataSourceOptions = {
  type: "postgres",
  entities: [Customer, Order, OrderLine, Product, Tag],
  synchronize: false,
  replication: {
    master: server(env.DB_PRIMARY_HOST),
    slaves: [server(env.DB_REPLICA_1_HOST), server(env.DB_REPLICA_2_HOST)],
  },
};

/**
 * The application's one DataSource. Modules that predate `createApp` import it directly. Replica
 * routing makes its reads honour `usePrimary` and the pin cookie of `createApp`'s middleware.
 */
export const AppDataSource = new DataSource(productionOptions);
installReplicaRouting(AppDataSource);
