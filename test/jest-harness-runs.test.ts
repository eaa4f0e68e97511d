import { expect } from "chai";
import path from "node:path";
import { expectAllPassed, expectCanaryVerdicts, runToJsonReport, testsOf, type RunnerReport } from "./support/runner-report";

const root = path.resolve(__dirname, "..");
const fixtures = "test/fixtures/jest-runs";
const jestBin = require.resolve("jest/bin/jest");
const TIMEOUT = /Exceeded timeout of 100 ms for a test/;

/** Runs Jest for real, in its own process, on the fixture project; returns its JSON report. */
function jest(config: string, args: string[], env?: Record<string, string>): Promise<RunnerReport> {
  return runToJsonReport((outputFile) => [jestBin, "--config", `${fixtures}/${config}`, "--json", `--outputFile=${outputFile}`, ...args], {
    cwd: root,
    env,
  });
}

describe("the Jest adapter, run by Jest", function () {
  this.timeout(120_000);

  it("should isolate every test file of a --runInBand run from a setupFilesAfterEnv file, canaries in both orders", async () => {
    const report = await jest("jest.setup-file.config.js", ["--runInBand", "/setup-"]);
    expectCanaryVerdicts(report, "setup-forward.jest.ts", TIMEOUT);
    expectCanaryVerdicts(report, "setup-reverse.jest.ts", TIMEOUT);
    expectAllPassed(report, "setup-fixtures.jest.ts", 3);
    expectAllPassed(report, "setup-after-each.jest.ts", 2);
  });

  it("should isolate describe blocks with useTransactionalTests on two workers, each with its own database", async () => {
    const report = await jest("jest.config.js", ["--maxWorkers=2", "/hooks-|/readme/"]);
    expectCanaryVerdicts(report, "hooks-forward.jest.ts", TIMEOUT);
    expectCanaryVerdicts(report, "hooks-reverse.jest.ts", TIMEOUT);
    expectAllPassed(report, "hooks-fixtures.jest.ts", 4);
    expectAllPassed(report, "readme/users.jest.ts", 2);
    expectAllPassed(report, "hooks-after-each.jest.ts", 2);
    // Three files on two workers: two of them ran at the same time (they wait for each other), each in its own database.
    const workers = ["hooks-forward.jest.ts", "hooks-reverse.jest.ts", "hooks-fixtures.jest.ts"].map((file) => {
      const test = testsOf(report, file).find((t) => t.title.startsWith("writes in a database of its own on worker"))!;
      expect(test.status, test.failureMessages.join("\n")).to.equal("passed");
      return test.title.split(" ").at(-1);
    });
    expect(new Set(workers).size, `workers ${workers.join(", ")}`).to.equal(2);
  });

  it("should run an ES module test file that imports typeorm-shared-replication/jest", async () => {
    const report = await jest("jest.config.js", ["--runInBand", "/esm\\.jest\\.mjs$"], { NODE_OPTIONS: "--experimental-vm-modules" });
    expectCanaryVerdicts(report, "esm.jest.mjs", TIMEOUT);
    expect(testsOf(report, "esm.jest.mjs").filter((test) => test.status === "passed")).to.have.length(10);
  });
});
