import type { QueryRunner } from "typeorm";
import { serverEngine, testServer } from "../../ormconfig.test";
import type { SharedReplicationDataSource } from "../../src";
import { POSTGRES_ENGINES, type FidelityEngine } from "./fidelity-engines";

/** An engine lag mode runs on, and its name in test titles. */
export interface LagEngine {
  readonly name: string;
  readonly engine: FidelityEngine | ReturnType<typeof serverEngine>;
}

/**
 * The engines the lag suites run the Postgres application on: the leg's SQLite engine in every leg,
 * PGlite as well in the PGlite leg, and the server as well in the Postgres leg.
 */
export const LAG_ENGINES: readonly LagEngine[] = [
  ...POSTGRES_ENGINES.map((engine) => ({ name: engine, engine })),
  ...(testServer === "postgres" ? [{ name: "postgres server", engine: serverEngine("postgres") }] : []),
];

/** The engines of {@link LAG_ENGINES} that are real Postgres. */
export const POSTGRES_LAG_ENGINES: readonly LagEngine[] = LAG_ENGINES.filter(
  ({ engine }) => typeof engine === "object" || engine === "pglite",
);

/** Runs `fn` with a runner replica `index` serves (runners are given replicas in turn), released after. */
export async function withReplicaRunner<T>(
  dataSource: SharedReplicationDataSource,
  index: number,
  fn: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  for (;;) {
    const runner = dataSource.createQueryRunner("slave");
    try {
      if (runner.replicaIndex === index) return await fn(runner);
    } finally {
      await runner.release();
    }
  }
}

/** Rows `sql` returns through replica `index`. */
export function rowsOnReplica(dataSource: SharedReplicationDataSource, index: number, sql: string): Promise<unknown[]> {
  return withReplicaRunner(dataSource, index, (runner) => runner.query(sql));
}
