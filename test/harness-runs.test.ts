import { expect } from "chai";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { childProcessEnv, MOCHA_REGISTER, outcomes, runMocha, runMochaIn, type MochaJson } from "./support/run-mocha";

const run = promisify(execFile);
const root = path.resolve(__dirname, "..");
const fixtures = "test/fixtures/harness-runs";
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
    // A project whose .mocharc.json lists the root-hook file, as the README shows it.
    expectCanaryOutcomes(await runMochaIn(path.join(root, "test/fixtures/mocha-project")));
  });

  it("should isolate the tests of a describe block with useTransactionalTests the same way", async () => {
    expectCanaryOutcomes(await runMocha(`${fixtures}/bdd-hooks.spec.ts`));
  });

  it("should fail a TransactionalTestCase test that leaks or throws and start the next one clean", async () => {
    const results = outcomes(await runMocha(`${fixtures}/class-leaks.spec.ts`));
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
    const { stdout } = await run(process.execPath, [...MOCHA_REGISTER, "--test", "test/fixtures/node-test/isolation.node-test.ts"], {
      env: childProcessEnv(),
      cwd: root,
    });
    expect(stdout)
      .to.match(/# pass 2/)
      .and.to.match(/# fail 0/);
  });
});
