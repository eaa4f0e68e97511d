// `npm run test:matrix`: the whole mocha suite once per supported TypeORM line and in-memory engine
// (test/support/test-combination.ts), plus a typecheck against TypeORM 1.x's types, then a table.
// Arguments filter the combinations: `npm run test:matrix -- 1.x sqljs` runs those whose line or
// engine is named (`pglite`: the PGlite leg). Exits non-zero when anything failed.
import { spawn } from "node:child_process";
import path from "node:path";
import { COMBINATIONS, combinationEnv, combinationName, type TestCombination } from "../support/test-combination";

const root = path.resolve(__dirname, "../..");

interface Outcome {
  readonly name: string;
  readonly passing: number;
  readonly failing: number;
  readonly exitCode: number;
  readonly seconds: number;
}

/** Runs `args` with node, streaming its output, and returns the exit code and what it printed. */
function run(args: string[], env: Record<string, string>): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    child.on("close", (code) => resolve({ exitCode: code ?? 1, output }));
  });
}

function count(output: string, what: "passing" | "failing" | "pending"): number {
  return Number(new RegExp(`^\\s*(\\d+) ${what}`, "m").exec(output)?.[1] ?? 0);
}

async function runSuite(combination: TestCombination): Promise<Outcome> {
  const name = combinationName(combination);
  console.log(`\n=== ${name}`);
  const started = Date.now();
  const { exitCode, output } = await run([require.resolve("mocha/bin/mocha.js")], combinationEnv(combination));
  // Pending tests fail the run (forbidPending), so passing + failing is every test.
  return { name, passing: count(output, "passing"), failing: count(output, "failing"), exitCode, seconds: (Date.now() - started) / 1000 };
}

async function typecheckTypeOrm1(): Promise<Outcome> {
  const name = "typecheck against TypeORM 1.x types";
  console.log(`\n=== ${name}`);
  const started = Date.now();
  const { exitCode } = await run([require.resolve("typescript/bin/tsc"), "-p", "tsconfig.typeorm-1.json"], {});
  return { name, passing: exitCode === 0 ? 1 : 0, failing: exitCode === 0 ? 0 : 1, exitCode, seconds: (Date.now() - started) / 1000 };
}

function table(outcomes: readonly Outcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.name.length));
  const rows = outcomes.map(
    (o) =>
      `${o.name.padEnd(width)}  ${String(o.passing).padStart(7)}  ${String(o.failing).padStart(7)}  ${`${o.seconds.toFixed(0)}s`.padStart(8)}  ${o.exitCode === 0 ? "ok" : "FAILED"}`,
  );
  return [`${"combination".padEnd(width)}  passing  failing  duration  result`, ...rows].join("\n");
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const selected = COMBINATIONS.filter(
    (c) => filters.length === 0 || filters.includes(c.typeorm) || filters.includes(c.postgres ?? c.engine),
  );
  const outcomes: Outcome[] = [];
  if (selected.some((c) => c.typeorm === "1.x")) outcomes.push(await typecheckTypeOrm1());
  for (const combination of selected) outcomes.push(await runSuite(combination));
  console.log(`\n${table(outcomes)}`);
  process.exitCode = outcomes.every((o) => o.exitCode === 0) && selected.length > 0 ? 0 : 1;
}

void main();
