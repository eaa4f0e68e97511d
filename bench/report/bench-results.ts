import type { RunPlan } from "../run-plan";
import type { ClassificationCost } from "../suites/classification-suite";
import type { FloorGrowth } from "../suites/floor-growth-suite";
import type { MemoryGrowth } from "../suites/memory-suite";
import type { QueryOverhead } from "../suites/query-overhead-suite";
import type { ReplicationCost } from "../suites/replication-suite";
import type { PgliteResults } from "../suites/pglite-suite";
import type { ReplicaLagCost } from "../suites/replica-lag-suite";
import type { StrategyMeasurement } from "../suites/strategy-suite";
import type { Environment } from "./environment";

/** Everything one run measured; the console table, RESULTS.md and the chart are all made from it. */
export interface BenchResults {
  readonly plan: RunPlan;
  readonly environment: Environment;
  readonly durationSeconds: number;
  /** Strategies 1–6 and the bare driver reference, in-memory SQLite, `plan.fixtureRows` rows. */
  readonly main: readonly StrategyMeasurement[];
  /** Strategies 1, 2 and 6 with `plan.largeFixtureRows` rows. */
  readonly largeFixtures: readonly StrategyMeasurement[];
  /** Strategies 1, 2, 6 and the reference on PostgreSQL, or why they were skipped. */
  readonly postgres: { readonly measurements: readonly StrategyMeasurement[] } | { readonly skipped: string };
  /** Strategy 1 with and without per-save transactions, and the floor: where the realistic body's time goes. */
  readonly saveTransactions: readonly StrategyMeasurement[];
  readonly queries: readonly QueryOverhead[];
  readonly replication: readonly ReplicationCost[];
  /** Replica lag: what a sync costs at two database sizes, and replica reads in lag mode against the shared mode; on SQLite and on PGlite. */
  readonly replicaLag: readonly ReplicaLagCost[];
  readonly floorGrowth: readonly FloorGrowth[];
  readonly memory: MemoryGrowth;
  /** What classifying a statement for the replica guard costs, cold and warm. */
  readonly classification: ClassificationCost;
  /** PGlite beside the SQLite and Postgres server engines, and its start times. */
  readonly pglite: PgliteResults;
}
