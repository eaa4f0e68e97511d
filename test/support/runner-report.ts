import { childProcessEnv } from "./run-mocha";
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** One test of a Jest or Vitest JSON report (Vitest writes Jest's format). */
export interface RunnerTest {
  readonly title: string;
  readonly status: string;
  readonly failureMessages: readonly string[];
  /** Milliseconds. */
  readonly duration?: number | null;
}

/** A Jest or Vitest JSON report: one entry per test file. */
export interface RunnerReport {
  readonly testResults: readonly {
    readonly name: string;
    /** The file's outcome: "failed" when a hook outside the tests failed, too. */
    readonly status: string;
    readonly message: string;
    readonly assertionResults: readonly RunnerTest[];
  }[];
}

/**
 * Runs a Jest or Vitest CLI in its own process with `outputFile` set to a temporary file, and returns
 * the JSON report it wrote there (the run fails, as the canaries do, so the exit code is ignored).
 */
export async function runToJsonReport(
  args: (outputFile: string) => string[],
  options: { readonly cwd: string; readonly env?: Record<string, string> },
): Promise<RunnerReport> {
  const folder = await mkdtemp(path.join(os.tmpdir(), "typeorm-shared-replication-report-"));
  const outputFile = path.join(folder, "report.json");
  try {
    const output = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        args(outputFile),
        {
          cwd: options.cwd,
          env: childProcessEnv({
            FORCE_COLOR: "0",
            NO_COLOR: "1",
            // Where test/fixtures/runner-canaries/canaries.ts's worker tests meet.
            RUNNER_RENDEZVOUS_DIR: path.join(folder, "rendezvous"),
            ...options.env,
          }),
          maxBuffer: 64 * 1024 * 1024,
        },
        (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
      );
    });
    const report = await readFile(outputFile, "utf8").catch(() => {
      throw new Error(`the run wrote no report:\n${output}`);
    });
    return JSON.parse(report) as RunnerReport;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** The tests of the report's file whose path ends with `file`. */
export function testsOf(report: RunnerReport, file: string): readonly RunnerTest[] {
  const found = report.testResults.find((result) => result.name.endsWith(file));
  if (!found) throw new Error(`the report has no ${file}: ${report.testResults.map((result) => result.name).join(", ")}`);
  return found.assertionResults;
}

/** Every test of the file `file` passed, and there were `count` of them. */
export function expectAllPassed(report: RunnerReport, file: string, count: number): void {
  const tests = testsOf(report, file);
  expect(
    tests.filter((test) => test.status !== "passed").map((test) => `${test.title}: ${test.failureMessages.join("\n")}`),
    file,
  ).to.deep.equal([]);
  expect(tests).to.have.length(count);
}

/**
 * The verdicts of test/fixtures/runner-canaries/canaries.ts, the same under every runner and in
 * both orders: rollbacks hold, each leak fails the leaking test once and names it, a test that
 * fails and leaks reports its own failure alone, late work is refused, a timed-out test is rolled
 * back and its later statements fenced.
 */
export function expectCanaryVerdicts(report: RunnerReport, file: string, timeoutMessage: RegExp | undefined): void {
  const tests = testsOf(report, file);
  const byTitle = new Map(tests.map((test) => [test.title, test]));
  const verdict = (title: string) => {
    const test = byTitle.get(title);
    if (!test) throw new Error(`${file} has no test "${title}"`);
    return test;
  };
  for (const title of [
    "inserts a row",
    "inserts a row in a committed app transaction",
    "finds the table empty again",
    "finds the table empty and the connection free after the leaks",
    "leaves a write running after it ends",
    "finds the late write refused, not run inside this test",
    "finds the table empty after the timed-out test",
  ]) {
    expect(verdict(title).status, `${file}: ${title}: ${verdict(title).failureMessages.join("\n")}`).to.equal("passed");
  }
  const failure = (title: string) => {
    const test = verdict(title);
    expect(test.status, `${file}: ${title}`).to.equal("failed");
    expect(test.failureMessages, `${file}: ${title} reports one error`).to.have.length(1);
    return test.failureMessages[0]!;
  };
  expect(failure("leaks an unreleased runner")).to.match(
    /TestLeakError: The test "[^"]*leaks an unreleased runner" left 1 thing\(s\)[\s\S]*unreleased query runner #\d+ \(slave, replica \d\), created at:[\s\S]*canaries\.ts/,
  );
  expect(failure("leaks an open transaction")).to.match(
    /TestLeakError: The test "[^"]*leaks an open transaction" left 1 thing\(s\)[\s\S]*transaction still open on query runner #\d+ \(master\), created at:[\s\S]*canaries\.ts/,
  );
  expect(failure("fails and leaks")).to.contain("the test's own failure").and.not.to.contain("TestLeakError");
  // Failed at its 100 ms timeout, not 300 ms later when its body ended; its message, where the
  // report keeps it (Vitest's keeps only the stack of a timeout).
  const timedOut = failure("times out in the middle of a transaction");
  expect(timedOut).not.to.contain("TestLeakError");
  if (timeoutMessage) expect(timedOut).to.match(timeoutMessage);
  expect(verdict("times out in the middle of a transaction").duration).to.be.within(90, 290);
  expect(tests).to.have.length(byTitle.size);
}
