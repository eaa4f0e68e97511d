// `npm run bench`: every suite of the benchmark in one run; prints the tables and writes
// bench/RESULTS.md and bench/results-chart.svg. `npm run bench:smoke` (`--smoke`) runs the same code
// with tiny counts and writes to a temporary directory (or `--out <dir>`); it fails only if something throws.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchResults } from "./report/bench-results";
import { describeEnvironment } from "./report/environment";
import { resultsMarkdown } from "./report/results-markdown";
import { strategyChart } from "./report/svg-chart";
import { micros, renderText, strategyTable } from "./report/tables";
import { checkTargets } from "./report/targets";
import { FULL_PLAN, SMOKE_PLAN, type RunPlan } from "./run-plan";
import { bareDriverSavepoint } from "./strategies/bare-driver-savepoint";
import { freshDataSource } from "./strategies/fresh-data-source";
import { handRolledSavepoint } from "./strategies/hand-rolled-savepoint";
import { peerTransactionalTests } from "./strategies/peer-transactional-tests";
import { perTestRollback } from "./strategies/per-test-rollback";
import { resynchronizeSchema } from "./strategies/resynchronize-schema";
import { truncateAndReload } from "./strategies/truncate-and-reload";
import { runClassificationSuite } from "./suites/classification-suite";
import { runFloorGrowthSuite } from "./suites/floor-growth-suite";
import { runMemorySuite } from "./suites/memory-suite";
import { dropTestDatabase, localPostgres, prepareTestDatabase, probePostgres } from "./suites/postgres-server";
import { runQueryOverheadSuite } from "./suites/query-overhead-suite";
import { runReplicationSuite } from "./suites/replication-suite";
import { runPgliteSuite, pgliteText } from "./suites/pglite-suite";
import { runReplicaLagSuite } from "./suites/replica-lag-suite";
import { runSaveTransactionsSuite } from "./suites/save-transactions-suite";
import { runStrategySuite } from "./suites/strategy-suite";
import { BODIES } from "./workload/test-bodies";

const CHART_FILE = "results-chart.svg";

function parseArguments(argv: readonly string[]): { plan: RunPlan; outDir: string } {
  const smoke = argv.includes("--smoke");
  const outIndex = argv.indexOf("--out");
  const outDir =
    outIndex >= 0 ? path.resolve(argv[outIndex + 1] ?? ".") : smoke ? fs.mkdtempSync(path.join(os.tmpdir(), "bench-smoke-")) : __dirname;
  return { plan: smoke ? SMOKE_PLAN : FULL_PLAN, outDir };
}

function progress(started: number): (label: string, round: number) => void {
  return (label, round) => {
    const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
    process.stderr.write(`[${seconds} s] round ${round + 1}: ${label}\n`);
  };
}

async function postgresSuite(
  plan: RunPlan,
  onProgress: (label: string, round: number) => void,
): Promise<BenchResults["postgres"] & { version?: string }> {
  const server = localPostgres(plan.postgresDatabase);
  const probe = await probePostgres(server);
  if ("unavailable" in probe) return { skipped: probe.unavailable };
  await prepareTestDatabase(server);
  try {
    const [measurements] = await runStrategySuite({
      sections: [
        {
          options: { engine: "postgres", server, fixtureRows: plan.fixtureRows },
          strategies: [
            { definition: perTestRollback, counts: plan.fast },
            { definition: truncateAndReload, counts: plan.slow },
            { definition: handRolledSavepoint, counts: plan.fast },
            { definition: bareDriverSavepoint, counts: plan.fast },
          ],
        },
      ],
      bodies: BODIES,
      rounds: plan.postgresRounds,
      // A group's session transaction holds its locks (strategy 2's TRUNCATE locks every table) until it ends.
      persistentGroups: false,
      onProgress,
    });
    return { measurements: measurements!, version: probe.version };
  } finally {
    if (plan.name === "smoke") await dropTestDatabase(server);
  }
}

async function main(): Promise<void> {
  if (typeof (globalThis as { gc?: unknown }).gc !== "function") {
    throw new Error("Run the benchmark with node --expose-gc (npm run bench does): the memory suite reads the heap after a full GC.");
  }
  const { plan, outDir } = parseArguments(process.argv.slice(2));
  const started = performance.now();
  const onProgress = progress(started);
  const environment = describeEnvironment();
  process.stderr.write(`Benchmark (${plan.name}): writing to ${outDir}\n`);

  // The two fixture sizes in one interleaved measurement: "does not grow with fixture size" compares across them.
  const [main, largeFixtures] = await runStrategySuite({
    sections: [
      {
        options: { engine: "sqlite", fixtureRows: plan.fixtureRows },
        strategies: [
          { definition: perTestRollback, counts: plan.fast },
          { definition: truncateAndReload, counts: plan.slow },
          { definition: resynchronizeSchema, counts: plan.slow },
          { definition: freshDataSource, counts: plan.slow },
          { definition: peerTransactionalTests, counts: plan.fast },
          { definition: handRolledSavepoint, counts: plan.fast },
          { definition: bareDriverSavepoint, counts: plan.fast },
        ],
      },
      {
        options: { engine: "sqlite", fixtureRows: plan.largeFixtureRows },
        strategies: [
          { definition: perTestRollback, counts: plan.fast },
          { definition: truncateAndReload, counts: plan.slowLargeFixtures },
          { definition: handRolledSavepoint, counts: plan.fast },
        ],
      },
    ],
    bodies: BODIES,
    rounds: plan.rounds,
    onProgress,
  });
  const saveTransactions = await runSaveTransactionsSuite(plan.fast.realistic, plan.fixtureRows, plan.rounds, onProgress);
  const queries = await runQueryOverheadSuite(plan.queries, plan.fixtureRows, plan.pairedRounds, onProgress);
  const replication = await runReplicationSuite(plan.fast, plan.fixtureRows, BODIES, plan.pairedRounds, onProgress);
  const replicaLag = [];
  for (const engine of ["sqlite", "pglite"] as const) {
    replicaLag.push(
      await runReplicaLagSuite(engine, plan.replicaLag, plan.fixtureRows, plan.largeFixtureRows, plan.pairedRounds, onProgress),
    );
  }
  const floorGrowth = await runFloorGrowthSuite(plan, onProgress);
  const { version, ...postgres } = await postgresSuite(plan, onProgress);
  if (version) environment.postgres = version;
  const pglite = await runPgliteSuite(plan, onProgress);
  const memory = await runMemorySuite(plan.fixtureRows, plan.memory.first, plan.memory.total);
  const classification = await runClassificationSuite(plan.classification, plan.fixtureRows);
  environment.loadAtEnd = os.loadavg()[0]!;

  const results: BenchResults = {
    plan,
    environment,
    durationSeconds: (performance.now() - started) / 1000,
    main,
    largeFixtures,
    postgres,
    saveTransactions,
    queries,
    replication,
    replicaLag,
    floorGrowth,
    memory,
    classification,
    pglite,
  };
  console.log(`\nPer test, in-memory SQLite, ${plan.fixtureRows} fixture rows (vs 1 = ratio of medians to strategy 1):\n`);
  console.log(renderText(strategyTable(main)));
  console.log("\nTargets:\n");
  console.log(
    renderText({
      header: ["target", "measured", "met"],
      rows: checkTargets(results).map((t) => [t.target, t.measured, t.met ? "yes" : "NO"]),
      numeric: new Set(),
    }),
  );

  console.log(
    `\nStatement classification (replica guard), per statement: ${micros(classification.cold.median)} cold, ${micros(classification.warm.median)} warm (cached).`,
  );

  console.log(`\nPGlite (real Postgres in process), strategy 1 per test against the SQLite and Postgres server engines:\n`);
  console.log(pgliteText(pglite));

  fs.mkdirSync(outDir, { recursive: true });
  const chart = strategyChart(
    main,
    `Median time per test, in-memory SQLite, ${plan.fixtureRows.toLocaleString("en-US")} fixture rows`,
    `${environment.cpu}, Node.js ${environment.node}, TypeORM ${environment.packages.typeorm}; ${plan.name} run`,
  );
  fs.writeFileSync(path.join(outDir, CHART_FILE), chart);
  fs.writeFileSync(path.join(outDir, "RESULTS.md"), resultsMarkdown(results, CHART_FILE));
  console.log(`\nWrote ${path.join(outDir, "RESULTS.md")} and ${CHART_FILE} (${results.durationSeconds.toFixed(0)} s).`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
