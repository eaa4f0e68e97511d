import { expect } from "chai";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { COMBINATIONS, testCombination } from "./support/test-combination";

const run = promisify(execFile);
const root = path.resolve(__dirname, "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

// The benchmark pins its own stack (TypeORM 0.3 + sqlite3, and Postgres when the machine has one),
// whatever combination this run tests: once per matrix is enough, in the default combination.
const isDefaultCombination = testCombination.typeorm === COMBINATIONS[0]!.typeorm && testCombination.engine === COMBINATIONS[0]!.engine;

if (isDefaultCombination) {
  describe("benchmark smoke run", function () {
    this.timeout(120_000);

    it("should run every suite of npm run bench:smoke and write the results and the chart", async () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-smoke-test-"));
      try {
        const { stdout } = await run(npm, ["run", "--silent", "bench:smoke", "--", "--out", out], { cwd: root, maxBuffer: 16 * 2 ** 20 });
        expect(stdout).to.contain("Targets:");
        const results = fs.readFileSync(path.join(out, "RESULTS.md"), "utf8");
        for (const section of [
          "## Targets",
          "## Strategies",
          "## PostgreSQL engine",
          "## Per-query overhead",
          "## Replication",
          "## Memory",
          "## Statement classification",
        ]) {
          expect(results).to.contain(section);
        }
        expect(fs.readFileSync(path.join(out, "results-chart.svg"), "utf8")).to.match(/^<svg[\s\S]*<\/svg>\s*$/);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    });
  });
}
