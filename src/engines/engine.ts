import type { DataSourceOptions, Driver, QueryRunner } from "typeorm";
import type { TransactionDialect } from "../connection/transaction-dialect";
import type { PortableOptions } from "../data-source/portable-options";

/**
 * An inner database engine: where the one shared connection lives. Engines plug in through this
 * small interface; everything else (lock, savepoints, replicas, log) is engine-neutral.
 */
export interface Engine {
  readonly name: string;
  readonly dialect: TransactionDialect;
  /** TypeORM options that run the application's portable options on this engine. */
  dataSourceOptions(portable: PortableOptions): DataSourceOptions;
  /** Points `driver` at the physical connection `owner` opened, instead of opening its own. */
  adoptConnection(driver: Driver, owner: Driver): void;
  /** Called for every runner right after it is constructed, e.g. to share per-connection state between runners. */
  prepareRunner?(runner: QueryRunner): void;
  /** Empties `tables` (names already escaped) whatever their foreign keys, and resets their sequences. */
  emptyTables(execute: (sql: string) => Promise<unknown>, tables: readonly string[]): Promise<void>;
}
