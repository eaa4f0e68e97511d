import { find } from "../suites/strategy-suite";
import type { BenchResults } from "./bench-results";

/** One of the targets, checked against this run. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

const x = (ratio: number) => `${ratio.toFixed(2)}x`;
const ms = (value: number) => `${value < 1 ? value.toFixed(3) : value.toFixed(2)} ms`;
const pct = (ratio: number) => `${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)}%`;

function ratio(results: BenchResults["main"], numerator: string, denominator: string, body: "realistic" | "one-select"): number {
  return find(results, numerator, body)!.median / find(results, denominator, body)!.median;
}

/** Every target of the issue, with the figure this run measured. Ratios are of medians. */
export function checkTargets(results: BenchResults): TargetCheck[] {
  const { main, largeFixtures } = results;
  const checks: TargetCheck[] = [];
  for (const [rows, measurements, minimum] of [
    [results.plan.fixtureRows, main, 22],
    [results.plan.largeFixtureRows, largeFixtures, 90],
  ] as const) {
    const select = ratio(measurements, "2", "1", "one-select");
    const realistic = ratio(measurements, "2", "1", "realistic");
    checks.push({
      target: `Per-test rollback at least ${minimum}x faster than truncate-and-reload, ${rows.toLocaleString("en-US")} fixture rows`,
      measured: `${x(select)} (one-SELECT body); ${x(realistic)} with the realistic body`,
      met: select >= minimum,
    });
  }
  const growth = (id: string, body: "realistic" | "one-select") => find(largeFixtures, id, body)!.median / find(main, id, body)!.median;
  const rollbackGrowth = Math.max(growth("1", "realistic"), growth("1", "one-select"));
  checks.push({
    target: `Per-test rollback cost does not grow with fixture size (${results.plan.largeFixtureRows.toLocaleString("en-US")} vs ${results.plan.fixtureRows.toLocaleString("en-US")} rows, within 10%)`,
    measured:
      `realistic ${pct(growth("1", "realistic"))}, one-SELECT ${pct(growth("1", "one-select"))}` +
      ` (the floor: ${pct(growth("6", "realistic"))}, ${pct(growth("6", "one-select"))})`,
    met: rollbackGrowth <= 1.1,
  });
  const realisticToFloor = ratio(main, "1", "6", "realistic");
  const [, withoutSaveTransactions, floor] = results.saveTransactions;
  const withoutTransactions = withoutSaveTransactions && floor ? withoutSaveTransactions.summary.median / floor.summary.median : Number.NaN;
  checks.push({
    target: "Realistic body: at most 1.25x the floor",
    measured: `${x(realisticToFloor)}; ${x(withoutTransactions)} when the saves open no transaction of their own`,
    met: realisticToFloor <= 1.25,
  });
  const selectToFloor = ratio(main, "1", "6", "one-select");
  checks.push({ target: "One-SELECT body: no slower than the floor (1.0x)", measured: x(selectToFloor), met: selectToFloor <= 1 });
  const worstQuery = Math.max(...results.queries.map((q) => q.shared.median / q.plain.median));
  checks.push({
    target: "The shared runner adds at most 10% per query over TypeORM's plain SQLite runner",
    measured: results.queries.map((q) => pct(q.shared.median / q.plain.median)).join(", "),
    met: worstQuery <= 1.1,
  });
  const worstReplication = Math.max(...results.replication.map((r) => r.on.median / r.off.median));
  checks.push({
    target: "Replication on (2 replicas) adds at most 5% over off",
    measured: results.replication.map((r) => `${r.body.key} ${pct(r.on.median / r.off.median)}`).join(", "),
    met: worstReplication <= 1.05,
  });
  for (const lag of results.replicaLag) {
    const syncGrowth = lag.syncLarge.median / lag.syncEmpty.median;
    checks.push({
      target: `Replica lag (${lag.engine}): a sync after one insert costs about the same with ${lag.largeFixtureRows.toLocaleString("en-US")} fixture rows as with none (within 20%)`,
      measured: `${x(syncGrowth)} (${ms(lag.syncLarge.median)} vs ${ms(lag.syncEmpty.median)}, insert included)`,
      met: syncGrowth <= 1.2,
    });
    const readRatio = lag.readLagged.median / lag.readShared.median;
    checks.push({
      target: `Replica lag (${lag.engine}): a replica read in lag mode at most 1.2x one in the shared mode`,
      measured: `${x(readRatio)} (${ms(lag.readLagged.median)} vs ${ms(lag.readShared.median)})`,
      met: readRatio <= 1.2,
    });
  }
  const { first, last } = results.memory;
  const heapGrowth = last.heapUsedBytes / first.heapUsedBytes;
  checks.push({
    target: `Heap after ${last.tests.toLocaleString("en-US")} tests within 10% of after ${first.tests.toLocaleString("en-US")}`,
    measured: `${pct(heapGrowth)} (RSS ${pct(last.rssBytes / first.rssBytes)})`,
    met: heapGrowth <= 1.1,
  });
  return checks;
}
