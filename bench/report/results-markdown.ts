import { STRATEGY_NOTES } from "../strategies/strategy-notes";
import { TABLES } from "../workload/bench-schema";
import type { StrategyMeasurement } from "../suites/strategy-suite";
import type { BenchResults } from "./bench-results";
import { checkTargets } from "./targets";
import { comparisonTable, megabytes, micros, relativeTable, renderMarkdown, strategyTable, times, type Table } from "./tables";
import { pgliteMarkdown } from "../suites/pglite-suite";

const n = (value: number) => value.toLocaleString("en-US");
const rounds = (count: number) => `${count} round${count === 1 ? "" : "s"}`;

function environmentTable(results: BenchResults): Table {
  const env = results.environment;
  const rows: [string, string][] = [
    ["date", env.date],
    ["machine", `${env.cpu}, ${env.cores} cores, ${env.memoryGb} GB RAM`],
    ["OS", env.os],
    ["load average (1 min) at start / end", `${env.loadAtStart.toFixed(2)} / ${env.loadAtEnd?.toFixed(2) ?? "?"}`],
    ["Node.js", env.node],
    ...Object.entries(env.packages).map(([name, version]): [string, string] => [name, version]),
    ["SQLite (in sqlite3)", env.sqlite],
    ["PostgreSQL server", env.postgres ?? "not used"],
    ["commit", env.commit],
    ["run", `${results.plan.name} plan, ${rounds(results.plan.rounds)}, ${results.durationSeconds.toFixed(0)} s`],
  ];
  return { header: ["", ""], rows, numeric: new Set() };
}

function saveTransactionsSection(results: BenchResults): string[] {
  const [withTransactions, withoutTransactions, floor] = results.saveTransactions;
  if (!withTransactions || !withoutTransactions || !floor) return [];
  const ratio = (m: StrategyMeasurement) => times(m.summary.median / floor.summary.median);
  return [
    "## Where the realistic body's time goes",
    "",
    renderMarkdown(relativeTable(results.saveTransactions, floor, "6")),
    "",
    `Each \`save()\` of the realistic body opens a transaction of its own, as it does in production (BEGIN/COMMIT there): ` +
      `with the library that is a SAVEPOINT per save (its commit sends nothing: the savepoint goes with the test's rollback), ${withTransactions.statements - withoutTransactions.statements} statements per test that the floor does not send: ` +
      `the floor's saves open no transaction, because its one runner is already in one. ` +
      `Strategy 1 runs at ${ratio(withTransactions)} the floor with them and at ${ratio(withoutTransactions)} without them ` +
      `(\`{ transaction: false }\`: ${withoutTransactions.statements} statements, the floor ${floor.statements}); ` +
      `what remains without them is the rest of the library: lock, log, write guard, runner facades, production fidelity.`,
  ];
}

function floorGrowthSection(results: BenchResults): string[] {
  const before = n(results.plan.floorGrowth.testsBefore);
  const change = (g: BenchResults["floorGrowth"][number]) => g.late.median / g.early.median - 1;
  const describe = (g: BenchResults["floorGrowth"][number]) =>
    `${g.strategy.id === "6" ? "without RELEASE" : "with RELEASE"} ${change(g) >= 0 ? "+" : ""}${(change(g) * 100).toFixed(1)}%`;
  return [
    "## Does the floor slow down as its savepoints pile up?",
    "",
    renderMarkdown(
      comparisonTable(
        ["fresh group", `after ${before} tests`, "change"],
        results.floorGrowth.map((g) => ({ label: `${g.strategy.id} ${g.strategy.name}`, a: g.early, b: g.late })),
      ),
    ),
    "",
    `The floor, like TypeORM's nested rollback, never releases its savepoint, so a group of ${before} tests leaves ${before} open savepoints. ` +
      `Change from a fresh group to one ${before} tests old: ${results.floorGrowth.map(describe).join(", ")}.`,
  ];
}

function classificationSection(results: BenchResults): string[] {
  const c = results.classification;
  return [
    "## Statement classification (the replica guard)",
    "",
    renderMarkdown({
      header: ["", "median per statement", "p95 per statement"],
      rows: [
        ["cold: tokenized every time", micros(c.cold.median), micros(c.cold.p95)],
        ["warm: cached by SQL text", micros(c.warm.median), micros(c.warm.p95)],
      ],
      numeric: new Set([1, 2]),
    }),
    "",
    `Every statement of every runner is classified (read, write, transaction control) before it runs. The mix: the ${c.statements} statements ` +
      `(${c.distinct} distinct, ${Math.round(c.meanLength)} characters on average) the realistic body sends, classified as the Postgres application's, ` +
      `${n(results.plan.classification.repetitions)} time${results.plan.classification.repetitions === 1 ? "" : "s"} per round over ${rounds(results.plan.classification.rounds)}.`,
  ];
}

/** RESULTS.md: every table of the run, the targets checked against it, and how it was measured. */
export function resultsMarkdown(results: BenchResults, chartFile: string): string {
  const { plan } = results;
  const targets = checkTargets(results);
  const out: string[] = [];
  out.push("# Benchmark results", "");
  out.push(
    `Written by \`npm run bench\` (bench/run-bench.ts) from one run; the chart is drawn from the same run. ` +
      `Times are per test: everything the strategy does around the test body, plus the body. ` +
      `Ratios are of medians, measured within this run.`,
    "",
  );
  out.push("## Machine and versions", "", renderMarkdown(environmentTable(results)), "");
  out.push(
    "## Targets",
    "",
    renderMarkdown({
      header: ["target", "measured", "met"],
      rows: targets.map((t) => [t.target, t.measured, t.met ? "yes" : "**no**"]),
      numeric: new Set(),
    }),
    "",
  );
  out.push(`## Strategies, in-memory SQLite, ${n(plan.fixtureRows)} fixture rows`, "");
  out.push(`![median per test by strategy](${chartFile})`, "");
  out.push(renderMarkdown(strategyTable(results.main)), "");
  out.push(`## ${n(plan.largeFixtureRows)} fixture rows`, "");
  out.push(renderMarkdown(strategyTable(results.largeFixtures)), "");
  out.push(...saveTransactionsSection(results), "");
  out.push("## PostgreSQL engine", "");
  if ("skipped" in results.postgres) out.push(`Skipped: ${results.postgres.skipped}.`, "");
  else out.push(renderMarkdown(strategyTable(results.postgres.measurements)), "");
  out.push("## Per-query overhead of the shared runner", "");
  out.push(
    "The same statements on TypeORM's plain SQLite runner and on the library's master runner (2 replicas, the application's Postgres options, so production fidelity is on), outside any test.",
    "",
  );
  out.push(
    renderMarkdown(
      comparisonTable(
        ["plain", "shared", "overhead"],
        results.queries.map((q) => ({ label: q.query, a: q.plain, b: q.shared })),
      ),
    ),
    "",
  );
  out.push("## Replication on (2 replicas) vs off (`replicas: 0`)", "");
  out.push(
    renderMarkdown(
      comparisonTable(
        ["off", "on", "cost of on"],
        results.replication.map((r) => ({ label: `strategy 1, ${r.body.title}`, a: r.off, b: r.on })),
      ),
    ),
    "",
  );
  out.push("## Memory over a long suite", "");
  const { first, last } = results.memory;
  out.push(
    renderMarkdown({
      header: ["after", "heap used", "RSS"],
      rows: [first, last].map((r) => [`${n(r.tests)} tests`, megabytes(r.heapUsedBytes), megabytes(r.rssBytes)]),
      numeric: new Set([1, 2]),
    }),
    "",
    `Strategy 1, realistic body, one group; read after \`gc()\` (node --expose-gc).`,
    "",
  );
  out.push(...floorGrowthSection(results), "");
  out.push(...classificationSection(results), "");
  out.push(pgliteMarkdown(results.pglite));
  out.push("## Method", "");
  out.push(
    `- Harness: tinybench; each task's iterations are split over ${rounds(plan.rounds)} and every round runs every task in a rotated order, so load from other processes falls on all of them alike. A group (DataSource, fixtures where they are created once) is set up before each task's round and torn down after it, untimed. Both fixture sizes are measured in the same rounds; the per-query and replication comparisons, a few percent apart, in ${rounds(plan.pairedRounds)}. "statements" counts the calls into the driver package (round trips) of one test, on an extra untimed test.`,
    `- Schema: ${TABLES.length} entities with ${TABLES.reduce((sum, t) => sum + t.references.length, 0)} many-to-one relations. Fixtures: ${n(plan.fixtureRows)} rows (${n(plan.largeFixtureRows)} for the large table), spread evenly, loaded with multi-row INSERTs.`,
    "- Realistic body: 5 `save()`s through the master (each in the transaction TypeORM's save opens), then 5 reads alternating replica / master runners, starting with a replica (3 through replicas); two replica reads read back rows the test just wrote. One-SELECT body: one `findOneBy` of a fixture row, routed as the application routes reads.",
    "- The library's DataSource gets the application's production options: Postgres with one master and two replicas.",
    ...STRATEGY_NOTES.map((note) => `- ${note}`),
    "",
  );
  return out.join("\n");
}
