import type { DataSource, QueryRunner } from "typeorm";
import { measure, type MeasuredTask } from "../harness/measure";
import type { Summary } from "../harness/statistics";
import type { IterationCount } from "../run-plan";
import { plainDataSource, sharedDataSource } from "../workload/bench-data-sources";
import { loadFixtures, type FixtureIds } from "../workload/fixtures";

/** One query, on TypeORM's plain SQLite runner and on the library's shared runner. */
export interface QueryOverhead {
  readonly query: string;
  readonly plain: Summary;
  readonly shared: Summary;
}

interface Subject {
  dataSource: DataSource;
  runner: QueryRunner;
  fixtures: FixtureIds;
  table: string;
}

type QueryKind = { readonly title: string; run(subject: Subject, n: number): Promise<unknown> };

const productId = (subject: Subject, n: number) => subject.fixtures.first.Product + (n % subject.fixtures.perTable);

const QUERY_KINDS: readonly QueryKind[] = [
  {
    title: "runner.query: SELECT one row by key",
    run: (s, n) => s.runner.query(`SELECT * FROM ${s.table} WHERE "id" = ?`, [productId(s, n)]),
  },
  {
    title: "runner.query: UPDATE one row by key",
    run: (s, n) => s.runner.query(`UPDATE ${s.table} SET "amount" = "amount" + 1 WHERE "id" = ?`, [productId(s, n)]),
  },
  {
    title: "repository.findOneBy (a read, routed to a replica runner where there are replicas)",
    run: (s, n) => s.dataSource.manager.findOneBy("Product", { id: productId(s, n) }),
  },
];

async function openSubject(dataSource: DataSource, fixtureRows: number): Promise<Subject> {
  await dataSource.initialize();
  const fixtures = await loadFixtures(dataSource.manager, fixtureRows);
  const runner = dataSource.createQueryRunner("master");
  return { dataSource, runner, fixtures, table: dataSource.driver.escape(dataSource.getMetadata("Product").tableName) };
}

async function closeSubject(subject: Subject | undefined): Promise<void> {
  if (!subject) return;
  await subject.runner.release();
  await subject.dataSource.destroy();
}

/**
 * The same statements through TypeORM's plain SQLite runner and through the library's shared
 * master runner (2 replicas, the application's Postgres options), outside any test: what the
 * shared runner adds per statement (lock, log, write guard, flow tracking, production fidelity).
 */
export async function runQueryOverheadSuite(
  counts: IterationCount,
  fixtureRows: number,
  rounds: number,
  onProgress?: (label: string, round: number) => void,
): Promise<QueryOverhead[]> {
  const tasks: MeasuredTask[] = [];
  for (const kind of QUERY_KINDS) {
    for (const side of ["plain", "shared"] as const) {
      let subject: Subject | undefined;
      let n = 0;
      tasks.push({
        label: `${side}: ${kind.title}`,
        ...counts,
        beforeAll: async () => {
          if (subject) return;
          subject = await openSubject(
            side === "plain" ? plainDataSource("sqlite", undefined) : sharedDataSource("sqlite", undefined),
            fixtureRows,
          );
        },
        afterRounds: async () => {
          await closeSubject(subject);
          subject = undefined;
        },
        fn: () => kind.run(subject!, n++),
      });
    }
  }
  const summaries = await measure(tasks, { rounds, onProgress });
  return QUERY_KINDS.map((kind) => ({
    query: kind.title,
    plain: summaries.get(`plain: ${kind.title}`)!,
    shared: summaries.get(`shared: ${kind.title}`)!,
  }));
}
