import { TestIsolation, type SharedReplicationDataSource, type SharedReplicationSettings } from "../../src";
import { measure, type MeasuredTask } from "../harness/measure";
import type { Summary } from "../harness/statistics";
import type { IterationCount } from "../run-plan";
import { sharedDataSource, type BenchEngine } from "../workload/bench-data-sources";
import { loadFixtures, type FixtureIds } from "../workload/fixtures";

/** What replica lag costs on one engine: a sync after one commit at two database sizes, and a replica read in each mode. */
export interface ReplicaLagCost {
  /** `"sqlite"` (attached copies) or `"pglite"` (schema copies, reads checked with EXPLAIN). */
  readonly engine: Exclude<BenchEngine, "postgres">;
  /** One insert, then `syncReplicas()` (2 replicas), with no fixture rows. */
  readonly syncEmpty: Summary;
  /** The same with the large fixtures: a sync costs what changed, not what the database holds. */
  readonly syncLarge: Summary;
  readonly largeFixtureRows: number;
  /** A replica runner's `findOneBy` by id, replicas sharing the master's data (`replicaLag: "none"`). */
  readonly readShared: Summary;
  /** The same read from a replica's own copy (`replicaLag: "manual"`). */
  readonly readLagged: Summary;
  readonly fixtureRows: number;
}

/** A test group that stays open over the task's rounds, with one test open during each round. */
function groupTask(
  engine: Exclude<BenchEngine, "postgres">,
  label: string,
  count: IterationCount,
  settings: SharedReplicationSettings,
  fixtureRows: number,
  iteration: (dataSource: SharedReplicationDataSource, fixtures: FixtureIds, n: number) => Promise<unknown>,
): MeasuredTask {
  let group: { dataSource: SharedReplicationDataSource; isolation: TestIsolation<FixtureIds> } | undefined;
  let n = 0;
  return {
    label,
    ...count,
    beforeAll: async () => {
      if (!group) {
        const dataSource = sharedDataSource(engine, undefined, settings);
        const isolation = new TestIsolation(dataSource, { setUpTestData: (manager) => loadFixtures(manager, fixtureRows) });
        await isolation.beginGroup();
        group = { dataSource, isolation };
      }
      await group.isolation.beginTest();
    },
    afterAll: async () => {
      await group?.isolation.endTest();
    },
    afterRounds: async () => {
      await group?.isolation.endGroup();
      group = undefined;
    },
    fn: () => iteration(group!.dataSource, group!.isolation.testData, n++),
  };
}

async function insertAndSync(dataSource: SharedReplicationDataSource, _fixtures: FixtureIds, n: number): Promise<void> {
  await dataSource.manager.insert("Organization", { name: `organization ${n}`, amount: n, note: "written" });
  await dataSource.syncReplicas();
}

async function replicaRead(dataSource: SharedReplicationDataSource, fixtures: FixtureIds, n: number): Promise<void> {
  const runner = dataSource.createQueryRunner("slave");
  try {
    const row = await runner.manager.findOneBy("Organization", { id: fixtures.first.Organization + (n % fixtures.perTable) });
    if (!row) throw new Error("The replica read found no fixture row.");
  } finally {
    await runner.release();
  }
}

/** The sync at two fixture sizes, and the read in both modes, interleaved in rounds, on `engine`. */
export async function runReplicaLagSuite(
  engine: Exclude<BenchEngine, "postgres">,
  count: IterationCount,
  fixtureRows: number,
  largeFixtureRows: number,
  rounds: number,
  onProgress?: (label: string, round: number) => void,
): Promise<ReplicaLagCost> {
  const lagged: SharedReplicationSettings = { replicas: 2, replicaLag: "manual" };
  const tasks = [
    groupTask(engine, `lag (${engine}): insert + sync, no fixtures`, count, lagged, 0, insertAndSync),
    groupTask(engine, `lag (${engine}): insert + sync, ${largeFixtureRows} fixture rows`, count, lagged, largeFixtureRows, insertAndSync),
    groupTask(engine, `lag (${engine}): replica read, shared`, count, { replicas: 2 }, fixtureRows, replicaRead),
    groupTask(engine, `lag (${engine}): replica read, manual lag`, count, lagged, fixtureRows, replicaRead),
  ];
  const summaries = await measure(tasks, { rounds, onProgress });
  const [syncEmpty, syncLarge, readShared, readLagged] = tasks.map((task) => summaries.get(task.label)!);
  return {
    engine,
    syncEmpty: syncEmpty!,
    syncLarge: syncLarge!,
    largeFixtureRows,
    readShared: readShared!,
    readLagged: readLagged!,
    fixtureRows,
  };
}
