// The PGlite section of `npm run bench`: per-test time of strategy 1 (the library's per-test
// rollback) on PGlite against the SQLite engine and the Postgres server engine, measured together
// in interleaved rounds; and PGlite's start time in fresh processes, cold and warm. Runs alone with
// `node -r ts-node/register/transpile-only bench/suites/pglite-suite.ts [--smoke]`.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ms, renderMarkdown, renderText, times, type Table } from "../report/tables";
import type { RunPlan } from "../run-plan";
import { FULL_PLAN, SMOKE_PLAN } from "../run-plan";
import { perTestRollback } from "../strategies/per-test-rollback";
import type { StrategyOptions } from "../strategies/strategy";
import { BODIES } from "../workload/test-bodies";
import { dropTestDatabase, localPostgres, prepareTestDatabase, probePostgres } from "./postgres-server";
import { runStrategySuite, type StrategyMeasurement, type StrategySection } from "./strategy-suite";

/** PGlite's figures: per test beside the other engines, and start times. */
export interface PgliteResults {
  /** Strategy 1's measurements, by engine: `sqlite`, `pglite`, and `postgres` when a server was there. */
  readonly perTest: readonly { readonly engine: string; readonly measurements: readonly StrategyMeasurement[] }[];
  /** Why the Postgres server engine was not measured, if it was not. */
  readonly postgresSkipped?: string;
  /** Milliseconds from `new SharedReplicationDataSource(...)` to the first statement, in a fresh process. */
  readonly start: {
    /** No snapshot at all: a new cluster is created, the schema synchronised, both snapshots written. */
    readonly cold: number;
    /** The schema's snapshot exists (the entities did not change since the last run). */
    readonly warm: number;
    /** Snapshots turned off (`cacheDirectory: false`): a new cluster and the schema every run. */
    readonly withoutSnapshots: number;
  };
}

const BODY_KEYS = ["realistic", "one-select"];

/** Medians of the start times over `runs` fresh processes each. */
async function measureStart(runs: number): Promise<PgliteResults["start"]> {
  const script = path.join(__dirname, "pglite-start.ts");
  const start = async (directory: string): Promise<number> => {
    const { stdout } = await promisify(execFile)(process.execPath, ["-r", "ts-node/register/transpile-only", script, directory], {
      cwd: path.resolve(__dirname, "../.."),
    });
    return (JSON.parse(stdout.trim().split("\n").pop()!) as { ms: number }).ms;
  };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const cold: number[] = [];
  const warm: number[] = [];
  const withoutSnapshots: number[] = [];
  for (let run = 0; run < runs; run++) {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "pglite-bench-"));
    try {
      cold.push(await start(directory));
      warm.push(await start(directory));
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
    withoutSnapshots.push(await start("none"));
  }
  return { cold: median(cold), warm: median(warm), withoutSnapshots: median(withoutSnapshots) };
}

export async function runPgliteSuite(plan: RunPlan, onProgress?: (label: string, round: number) => void): Promise<PgliteResults> {
  // A database of its own: the Postgres suite's may have been dropped already (smoke runs drop theirs).
  const server = localPostgres(`${plan.postgresDatabase}_pglite`);
  const probe = await probePostgres(server);
  const section = (options: StrategyOptions): StrategySection => ({
    options,
    strategies: [{ definition: perTestRollback, counts: plan.fast }],
  });
  const sections = [
    section({ engine: "sqlite", fixtureRows: plan.fixtureRows }),
    section({ engine: "pglite", fixtureRows: plan.fixtureRows }),
  ];
  if (!("unavailable" in probe)) {
    await prepareTestDatabase(server);
    sections.push(section({ engine: "postgres", server, fixtureRows: plan.fixtureRows }));
  }
  try {
    const measured = await runStrategySuite({
      sections,
      bodies: BODIES.filter((body) => BODY_KEYS.includes(body.key)),
      rounds: plan.postgresRounds,
      // As on the server: a group per round.
      persistentGroups: false,
      onProgress,
    });
    const start = await measureStart(plan.name === "smoke" ? 1 : 3);
    const perTest = sections.map((section, index) => ({ engine: section.options.engine, measurements: measured[index]! }));
    return { perTest, postgresSkipped: "unavailable" in probe ? probe.unavailable : undefined, start };
  } finally {
    if (plan.name === "smoke" && !("unavailable" in probe)) await dropTestDatabase(server);
  }
}

function median(results: PgliteResults, engine: string, body: string): number | undefined {
  return results.perTest.find((section) => section.engine === engine)?.measurements.find((m) => m.body?.key === body)?.summary.median;
}

/** The targets for PGlite, with what was measured. */
export function pgliteTargets(results: PgliteResults): { target: string; measured: string; met: boolean }[] {
  const [sqlite, pglite, postgres] = ["sqlite", "pglite", "postgres"].map((engine) => median(results, engine, "realistic"));
  const targets: { target: string; measured: string; met: boolean }[] = [];
  if (sqlite !== undefined && pglite !== undefined) {
    targets.push({
      target: "PGlite realistic body ≤ 2x the SQLite engine",
      measured: `${(pglite / sqlite).toFixed(2)}x`,
      met: pglite <= 2 * sqlite,
    });
  }
  if (postgres !== undefined && pglite !== undefined) {
    targets.push({
      target: "PGlite realistic body faster than the Postgres server engine",
      measured: `${(pglite / postgres).toFixed(2)}x the server's`,
      met: pglite < postgres,
    });
  }
  targets.push({ target: "PGlite warm start < 1 s", measured: `${results.start.warm.toFixed(0)} ms`, met: results.start.warm < 1000 });
  return targets;
}

/** Strategy 1 per test on each engine, against the SQLite engine. */
function perTestTable(results: PgliteResults): Table {
  const rows = BODY_KEYS.flatMap((body) =>
    results.perTest.flatMap(({ engine, measurements }) => {
      const measurement = measurements.find((m) => m.body?.key === body);
      if (!measurement) return [];
      const baseline = median(results, "sqlite", body);
      return [
        [
          engine,
          measurement.body!.title,
          ms(measurement.summary.median),
          ms(measurement.summary.p95),
          baseline ? times(measurement.summary.median / baseline) : "—",
          String(measurement.statements),
          String(measurement.summary.iterations),
        ],
      ];
    }),
  );
  return { header: ["engine", "test body", "median", "p95", "vs SQLite", "statements", "tests"], rows, numeric: new Set([2, 3, 4, 5, 6]) };
}

function startTable(results: PgliteResults): Table {
  return {
    header: ["start (fresh process, to the first statement)", "ms"],
    rows: [
      ["cold: no snapshot (cluster + schema created, snapshots written)", results.start.cold.toFixed(0)],
      ["warm: the schema's snapshot loaded", results.start.warm.toFixed(0)],
      ["snapshots off (cacheDirectory: false)", results.start.withoutSnapshots.toFixed(0)],
    ],
    numeric: new Set([1]),
  };
}

/** The section of bench/RESULTS.md. */
export function pgliteMarkdown(results: PgliteResults): string {
  return [
    "## PGlite (real Postgres in process)",
    "",
    "Strategy 1 (the library's per-test rollback) per test on the SQLite engine, PGlite and the Postgres server engine, measured together in interleaved rounds" +
      (results.postgresSkipped ? `; server skipped: ${results.postgresSkipped}` : "") +
      ":",
    "",
    renderMarkdown(perTestTable(results)),
    "",
    renderMarkdown(startTable(results)),
    "",
    ...pgliteTargets(results).map((t) => `- ${t.target}: ${t.measured} (${t.met ? "met" : "missed"})`),
    "",
  ].join("\n");
}

/** The text the benchmark prints. */
export function pgliteText(results: PgliteResults): string {
  const targets = pgliteTargets(results).map((t) => `  ${t.target}: ${t.measured} ${t.met ? "(met)" : "(MISSED)"}`);
  return [renderText(perTestTable(results)), "", renderText(startTable(results)), "", ...targets].join("\n");
}

if (require.main === module) {
  const plan = process.argv.includes("--smoke") ? SMOKE_PLAN : FULL_PLAN;
  const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || plan.postgresRounds;
  const started = performance.now();
  runPgliteSuite({ ...plan, postgresRounds: rounds }, (label, round) =>
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] round ${round + 1}: ${label}\n`),
  )
    .then((results) => console.log(`\nPGlite, per test (SQLite engine, PGlite, Postgres server engine):\n\n${pgliteText(results)}`))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
