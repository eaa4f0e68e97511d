import { expect } from "chai";
import path from "node:path";
import { expectAllPassed, expectCanaryVerdicts, runToJsonReport, testsOf, type RunnerReport } from "./support/runner-report";

const root = path.resolve(__dirname, "..");
const fixtures = "test/fixtures/vitest-runs";
const vitestBin = path.join(path.dirname(require.resolve("vitest/package.json")), "vitest.mjs");
// Vitest's JSON report keeps the stack of a timeout, not its message ("Test timed out in 100ms").
const TIMEOUT = undefined;

// This run's TypeORM line and engine for what Vitest's workers require() natively (the library finds
// TypeORM's line with require.resolve): the mocha hook, which Vitest's config mirrors for imports.
const combination = {
  NODE_OPTIONS: `--require ts-node/register/transpile-only --require ${path.join(root, "test/support/use-test-combination.ts")}`,
};

/** Runs Vitest for real, in its own process, on the fixture project; returns its JSON report. */
function vitest(config: string, args: string[]): Promise<RunnerReport> {
  return runToJsonReport(
    (outputFile) => [vitestBin, "run", "--config", `${fixtures}/${config}`, "--reporter=json", `--outputFile=${outputFile}`, ...args],
    { cwd: root, env: combination },
  );
}

describe("the Vitest adapter, run by Vitest", function () {
  this.timeout(120_000);

  it("should isolate every test file of a run from a setupFiles file, one file at a time, canaries in both orders", async () => {
    const report = await vitest("vitest.setup-file.config.ts", ["--no-file-parallelism", "setup-"]);
    expectCanaryVerdicts(report, "setup-forward.vitest.ts", TIMEOUT);
    expectCanaryVerdicts(report, "setup-reverse.vitest.ts", TIMEOUT);
    expectAllPassed(report, "setup-fixtures.vitest.ts", 3);
    expectAllPassed(report, "setup-after-each.vitest.ts", 2);
  });

  it("should isolate describe blocks with useTransactionalTests on two threads, each with its own database", async () => {
    const report = await vitest("vitest.config.ts", ["--pool=threads", "--maxWorkers=2", "hooks-", "readme/"]);
    expectCanaryVerdicts(report, "hooks-forward.vitest.ts", TIMEOUT);
    expectCanaryVerdicts(report, "hooks-reverse.vitest.ts", TIMEOUT);
    expectAllPassed(report, "hooks-fixtures.vitest.ts", 4);
    expectAllPassed(report, "readme/users.vitest.ts", 2);
    expectAllPassed(report, "hooks-after-each.vitest.ts", 2);
    // Three files on two workers: two of them ran at the same time (they wait for each other), each in its own database.
    const workers = ["hooks-forward.vitest.ts", "hooks-reverse.vitest.ts", "hooks-fixtures.vitest.ts"].map((file) => {
      const test = testsOf(report, file).find((t) => t.title.startsWith("writes in a database of its own on worker"))!;
      expect(test.status, test.failureMessages.join("\n")).to.equal("passed");
      return test.title.split(" ").at(-1);
    });
    expect(new Set(workers).size, `workers ${workers.join(", ")}`).to.equal(2);
  });

  it("should run a JavaScript ES module test file that imports typeorm-shared-replication/vitest", async () => {
    const report = await vitest("vitest.config.ts", ["esm.vitest.mjs"]);
    expectCanaryVerdicts(report, "esm.vitest.mjs", TIMEOUT);
    expect(testsOf(report, "esm.vitest.mjs").filter((test) => test.status === "passed")).to.have.length(10);
  });
});
