import { expect } from "chai";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = path.resolve(__dirname, "..");
const fixtures = "test/fixtures/harness-runs";
// The same TypeORM line and engine as this run (the hook reads TEST_TYPEORM and TEST_ENGINE).
const register = [
  "--require",
  "ts-node/register/transpile-only",
  "--require",
  "reflect-metadata",
  "--require",
  "./test/support/use-test-combination.ts",
];

interface MochaJsonTest {
  readonly title: string;
  readonly err: { message?: string; name?: string };
}
interface MochaJson {
  readonly passes: MochaJsonTest[];
  readonly failures: MochaJsonTest[];
}

/** Runs mocha in its own process (root hooks apply to a whole run) and returns its JSON report. */
async function mocha(...args: string[]): Promise<MochaJson> {
  const mochaBin = require.resolve("mocha/bin/mocha.js");
  const output = await run(process.execPath, [mochaBin, "--no-config", ...register, "--timeout", "30000", "--reporter", "json", ...args], {
    cwd: root,
  }).then(
    ({ stdout }) => stdout,
    (error: { stdout?: string }) => error.stdout ?? "",
  );
  return JSON.parse(output.slice(output.indexOf("{"))) as MochaJson;
}

function outcomes(report: MochaJson): Record<string, string> {
  const result: Record<string, string> = {};
  for (const test of report.passes) result[test.title] = "passed";
  for (const test of report.failures) result[test.title] = `failed: ${test.err.message ?? ""}`;
  return result;
}

/** The canary file's verdicts, the same under every harness style. */
function expectCanaryOutcomes(report: MochaJson): void {
  const results = outcomes(report);
  for (const title of [
    "inserts a row",
    "finds the table empty and inserts in a committed app transaction",
    "finds the table empty again",
    "finds the table empty and the connection free after the leaks",
    "finds the table empty after the timed-out test",
  ]) {
    expect(results[title], title).to.equal("passed");
  }
  expect(results["leaks an unreleased runner"]).to.match(
    /unreleased query runner #\d+ \(slave, replica \d\), created at:[\s\S]*canaries\.spec\.ts/,
  );
  expect(results["leaks an open transaction"]).to.match(
    /transaction still open on query runner #\d+ \(master\), created at:[\s\S]*canaries\.spec\.ts/,
  );
  expect(results["times out in the middle of a transaction"]).to.contain("Timeout");
  expect(report.passes.length + report.failures.length).to.equal(8);
}

describe("harness styles in their own runs", function () {
  this.timeout(60_000);

  it("should isolate every test of a run with the mocha root-hook plugin, reporting leaks in the leaking test", async () => {
    expectCanaryOutcomes(await mocha("--require", `${fixtures}/root-hooks.ts`, `${fixtures}/canaries.spec.ts`));
  });

  it("should isolate the tests of a describe block with useTransactionalTests the same way", async () => {
    expectCanaryOutcomes(await mocha(`${fixtures}/bdd-hooks.spec.ts`));
  });

  it("should fail a TransactionalTestCase test that leaks or throws and start the next one clean", async () => {
    const results = outcomes(await mocha(`${fixtures}/class-leaks.spec.ts`));
    expect(results).to.deep.include({
      test2FindsTheTableEmpty: "passed",
      test4FindsTheTableEmpty: "passed",
      test3Throws: "failed: test body failed",
    });
    expect(results.test1LeaksAnOpenTransaction).to.match(
      /transaction still open on query runner #\d+ \(master\)[\s\S]*class-leaks\.spec\.ts/,
    );
  });

  it("should drive the neutral core from node:test", async () => {
    const { stdout } = await run(process.execPath, [...register, "--test", "test/fixtures/node-test/isolation.node-test.ts"], {
      cwd: root,
    });
    expect(stdout)
      .to.match(/# pass 2/)
      .and.to.match(/# fail 0/);
  });
});
