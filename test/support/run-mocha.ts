import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * The environment of a child test run: this run's, but on a server its own database, so the child
 * (which drops and recreates its test database) never pulls the parent's from under it.
 */
export function childProcessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const database = `${process.env.TEST_SERVER_DATABASE || "suite"}_child`;
  return { ...process.env, ...(process.env.TEST_SERVER ? { TEST_SERVER_DATABASE: database } : {}), ...extra };
}
const root = path.resolve(__dirname, "../..");
// The same TypeORM line and engine as this run (the hook reads TEST_TYPEORM and TEST_ENGINE).
export const MOCHA_REGISTER = [
  "--require",
  "ts-node/register/transpile-only",
  "--require",
  "reflect-metadata",
  "--require",
  path.join(root, "test/support/use-test-combination.ts"),
];

export interface MochaJsonTest {
  readonly title: string;
  readonly fullTitle: string;
  readonly err: { message?: string; name?: string };
}
export interface MochaJson {
  readonly passes: MochaJsonTest[];
  readonly failures: MochaJsonTest[];
}

/** Runs mocha in its own process (root hooks and global patches apply to a whole run) and returns its JSON report. */
export function runMocha(...args: string[]): Promise<MochaJson> {
  return runMochaIn(root, "--no-config", ...args);
}

/**
 * Runs mocha in `cwd` (a project with its own `.mocharc.json`, when `args` do not say `--no-config`),
 * with this run's TypeORM line and engine, and returns its JSON report.
 */
export async function runMochaIn(cwd: string, ...args: string[]): Promise<MochaJson> {
  const mochaBin = require.resolve("mocha/bin/mocha.js");
  const output = await run(process.execPath, [mochaBin, ...MOCHA_REGISTER, "--timeout", "30000", "--reporter", "json", ...args], {
    cwd,
    env: childProcessEnv(),
    maxBuffer: 64 * 1024 * 1024,
  }).then(
    ({ stdout }) => stdout,
    (error: { stdout?: string }) => error.stdout ?? "",
  );
  return JSON.parse(output.slice(output.indexOf("{"))) as MochaJson;
}

/** Each test's outcome by title: "passed", or "failed: <message>". */
export function outcomes(report: MochaJson): Record<string, string> {
  const result: Record<string, string> = {};
  for (const test of report.passes) result[test.title] = "passed";
  for (const test of report.failures) result[test.title] = `failed: ${test.err.message ?? ""}`;
  return result;
}
