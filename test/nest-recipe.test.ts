import { expect } from "chai";
import path from "node:path";
import { expectAllPassed, runToJsonReport } from "./support/runner-report";

const root = path.resolve(__dirname, "..");

describe("the NestJS recipe, run by Jest", function () {
  this.timeout(120_000);

  it("should test a Nest module over HTTP on the shared DataSource, closing the app in either hook order", async () => {
    const report = await runToJsonReport(
      (outputFile) => [
        require.resolve("jest/bin/jest"),
        "--config",
        "test/fixtures/nest-app/jest.config.js",
        "--runInBand",
        "--json",
        `--outputFile=${outputFile}`,
      ],
      { cwd: root },
    );
    for (const file of report.testResults) expect(file.status, `${file.name}: ${file.message}`).to.equal("passed");
    expectAllPassed(report, "notes.e2e.jest.ts", 2);
    expectAllPassed(report, "app-closed-first.jest.ts", 2);
  });
});
