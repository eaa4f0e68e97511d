// `npm run test:pack` (not part of `npm test`): packs the library with `npm pack`, installs the
// tarball into fresh projects next to each TypeORM line, and runs consumers there.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { realpathSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { testsOf, type RunnerReport } from "../support/runner-report";

const exec = promisify(execFile);
const root = path.resolve(__dirname, "../..");
const consumers = path.join(root, "test/fixtures/pack-consumers");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const tsc = require.resolve("typescript/bin/tsc");

interface Project {
  readonly title: string;
  /** This repository's node_modules folder holding that TypeORM line. */
  readonly typeorm: "typeorm" | "typeorm-1";
  readonly driver: "sqlite3" | "better-sqlite3";
  /** The DataSource `type` the library's default engine should pick. */
  readonly expectedType: string;
}

const PROJECTS: readonly Project[] = [
  { title: "TypeORM 1.x and better-sqlite3", typeorm: "typeorm-1", driver: "better-sqlite3", expectedType: "better-sqlite3" },
  { title: "TypeORM 0.3 and sqlite3", typeorm: "typeorm", driver: "sqlite3", expectedType: "sqlite" },
];

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "node16",
    moduleResolution: "node16",
    lib: ["ES2022", "ESNext.Disposable"],
    types: ["node"],
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    outDir: "out",
  },
  files: ["consumer.ts", "esm-types.mts"],
};

/**
 * This repository's installed copy of a package, as a dependency: `file:` folders are linked
 * (native drivers take minutes to compile). Real paths: npm ls reports a link whose target differs
 * from its `file:` spec as invalid.
 */
function local(name: string): string {
  return `file:${realpathSync(path.join(root, "node_modules", name))}`;
}

/** Runs a Jest or Vitest CLI that writes report.json in `cwd` (its canaries fail on purpose) and returns the report. */
async function runnerReport(cwd: string, args: string[], env: Record<string, string> = {}): Promise<RunnerReport> {
  const output = await exec(process.execPath, args, { cwd, env: { ...process.env, FORCE_COLOR: "0", ...env } }).then(
    ({ stdout, stderr }) => `${stdout}\n${stderr}`,
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ""}\n${error.stderr ?? ""}`,
  );
  const report = await readFile(path.join(cwd, "report.json"), "utf8").catch(() => {
    throw new Error(`the run wrote no report:\n${output}`);
  });
  return JSON.parse(report) as RunnerReport;
}

/** The verdicts of the pack consumers' test files: two tests pass, the leaking one fails with `leakError`, once. */
function expectPackConsumerVerdicts(report: RunnerReport, file: string, leakError: string): void {
  const tests = testsOf(report, file);
  const verdicts = Object.fromEntries(tests.map((test) => [test.title, test.status]));
  expect(verdicts, file).to.deep.equal({
    "writes inside its savepoint and reads it back through a replica": "passed",
    "leaks a runner": "failed",
    "starts from the fixtures alone": "passed",
  });
  const leak = tests.find((test) => test.title === "leaks a runner")!;
  expect(leak.failureMessages).to.have.length(1);
  expect(leak.failureMessages[0]).to.contain(leakError).and.contain('leaks a runner"');
}

async function runJson(command: string, args: string[], cwd: string): Promise<Record<string, unknown>> {
  const { stdout } = await exec(command, args, { cwd });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

describe("the npm package", function () {
  this.timeout(300_000);
  let work: string;
  let tarball: string;
  let packed: string[];

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "typeorm-shared-replication-pack-"));
    await exec(npm, ["run", "build"], { cwd: root });
    // Built just above; --ignore-scripts keeps prepack's output out of the JSON.
    const { stdout } = await exec(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: root });
    const [manifest] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(work, manifest!.filename);
    packed = manifest!.files.map((file) => file.path);
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("should contain the CommonJS build, the ESM entry and the types, and no sources or tests", () => {
    expect(packed).to.include.members([
      "package.json",
      "README.md",
      "dist/index.js",
      "dist/index.mjs",
      "dist/index.d.ts",
      "dist/index.d.mts",
      "dist/jest/index.js",
      "dist/jest/index.mjs",
      "dist/jest/index.d.ts",
      "dist/jest/index.d.mts",
      "dist/vitest/index.js",
      "dist/vitest/index.mjs",
      "dist/vitest/index.d.ts",
      "dist/vitest/index.d.mts",
    ]);
    expect(packed.filter((file) => !file.startsWith("dist/") && file !== "package.json" && file !== "README.md")).to.deep.equal([]);
    expect(packed.filter((file) => file.endsWith(".test.js") || file.includes("/fixtures/"))).to.deep.equal([]);
  });

  for (const project of PROJECTS) {
    describe(`installed into a fresh project with ${project.title}`, () => {
      let app: string;

      before(async () => {
        app = path.join(work, project.driver);
        await mkdir(app);
        // The library comes from the tarball. TypeORM and the drivers are this repository's installed
        // copies (native drivers take minutes to compile): npm links `file:` folders.
        // Real paths: npm ls reports a link whose target differs from its `file:` spec as invalid.
        const dependencies = {
          "typeorm-shared-replication": `file:${tarball}`,
          typeorm: local(project.typeorm),
          [project.driver]: local(project.driver),
          "reflect-metadata": local("reflect-metadata"),
          "@types/node": local("@types/node"),
        };
        await writeFile(path.join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, dependencies }, null, 2));
        await writeFile(path.join(app, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
        await cp(consumers, app, { recursive: true });
        // npm's peer placement crashes on `file:` links that are also peers, so peers are not
        // placed here; the next test checks them with `npm ls` instead.
        await exec(npm, ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--legacy-peer-deps"], { cwd: app });
      });

      it("should satisfy the package's peer dependency ranges", async () => {
        const { stdout } = await exec(npm, ["ls", "typeorm", project.driver], { cwd: app });
        expect(stdout).to.contain("typeorm-shared-replication@").and.not.to.contain("invalid");
      });

      it("should compile a TypeScript consumer against the package's types and run it", async () => {
        await exec(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: app });
        expect(await runJson(process.execPath, ["out/consumer.js"], app)).to.deep.equal({
          type: project.expectedType,
          isDataSource: true,
          replicaSaw: 1,
          guarded: true,
          afterRollback: 0,
          jestAdapter: "function",
        });
      });

      it("should run an ES module consumer that shares every class with require()", async () => {
        expect(await runJson(process.execPath, ["esm-consumer.mjs"], app)).to.deep.equal({
          type: project.expectedType,
          isDataSource: true,
          sameClassAsRequire: true,
          errorFromRequireIsImportedClass: true,
          guarded: true,
          replicaSaw: 1,
          hasMochaAdapter: true,
        });
      });
    });
  }

  describe("installed into a fresh Jest project", () => {
    let app: string;

    before(async () => {
      app = await freshProject("jest-project", {
        dependencies: { jest: local("jest"), typeorm: local("typeorm"), sqlite3: local("sqlite3") },
        jest: { testEnvironment: "node", transform: {}, testMatch: ["**/*.test.js", "**/*.test.mjs"] },
      });
    });

    it("should run a CommonJS and an ES module test file through typeorm-shared-replication/jest", async () => {
      const jestBin = path.join(app, "node_modules/jest/bin/jest.js");
      const report = await runnerReport(app, [jestBin, "--json", "--outputFile=report.json"], {
        NODE_OPTIONS: "--experimental-vm-modules",
      });
      for (const file of ["users.test.js", "users.test.mjs"]) expectPackConsumerVerdicts(report, file, "TestLeakError");
    });
  });

  describe("installed into a fresh Vitest project", () => {
    let app: string;

    before(async () => {
      app = await freshProject("vitest-project", {
        type: "module",
        dependencies: { vitest: local("vitest"), typeorm: local("typeorm-1"), "better-sqlite3": local("better-sqlite3") },
      });
    });

    it("should run an ES module test file through typeorm-shared-replication/vitest", async () => {
      const vitestBin = path.join(app, "node_modules/vitest/vitest.mjs");
      const report = await runnerReport(app, [vitestBin, "run", "--reporter=json", "--outputFile=report.json"]);
      expectPackConsumerVerdicts(report, "users.test.js", "TestLeakError");
    });

    it("should load typeorm-shared-replication/vitest with require() too", async () => {
      const { stdout } = await exec(
        process.execPath,
        ["--input-type=commonjs", "-e", 'console.log(typeof require("typeorm-shared-replication/vitest").useTransactionalTests)'],
        { cwd: app },
      );
      expect(stdout.trim()).to.equal("function");
    });
  });

  /**
   * A fresh project in `work/<name>` with the library from the tarball, the files of
   * test/fixtures/pack-<name>/, and `dependencies` (this repository's installed copies, linked).
   */
  async function freshProject(name: string, manifest: { dependencies: Record<string, string>; [key: string]: unknown }): Promise<string> {
    const app = path.join(work, name);
    await mkdir(app);
    const dependencies = {
      "typeorm-shared-replication": `file:${tarball}`,
      "reflect-metadata": local("reflect-metadata"),
      ...manifest.dependencies,
    };
    await writeFile(path.join(app, "package.json"), JSON.stringify({ name, private: true, ...manifest, dependencies }, null, 2));
    await cp(path.join(root, `test/fixtures/pack-${name}`), app, { recursive: true });
    await exec(npm, ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--legacy-peer-deps"], { cwd: app });
    return app;
  }
});
