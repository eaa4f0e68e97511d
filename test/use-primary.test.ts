import { expect } from "chai";
import { readFileSync } from "node:fs";
import Module from "node:module";
import path from "node:path";
import ts from "typescript";
import { createTestDataSource } from "../ormconfig.test";
import { usePrimary, type SharedReplicationDataSource } from "../src";
import { Author } from "./fixtures/blog-entities";
import type { AuthorReader } from "./fixtures/routing/author-reader";
import { sleep } from "./support/capture-error";
import { servedBy, servedByMarker } from "./support/routing";

const READER = path.join(__dirname, "fixtures", "routing", "author-reader.ts");

type ReaderClass = new (dataSource: SharedReplicationDataSource) => AuthorReader;

/** The fixture as TypeScript emits it with or without `experimentalDecorators`, loaded as a module. */
function compileReader(experimentalDecorators: boolean): { Class: ReaderClass; emitted: string } {
  const { outputText } = ts.transpileModule(readFileSync(READER, "utf8"), {
    fileName: READER,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      experimentalDecorators,
      useDefineForClassFields: false,
    },
  });
  // Required from the fixture's own path, so "../../../src" is the library instance the test uses.
  const loaded = new Module(READER, module);
  loaded.filename = READER;
  loaded.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(READER));
  (loaded as unknown as { _compile(code: string, file: string): void })._compile(outputText, READER);
  return { Class: (loaded.exports as { AuthorReader: ReaderClass }).AuthorReader, emitted: outputText };
}

describe("usePrimary on a SharedReplicationDataSource", () => {
  let dataSource: SharedReplicationDataSource;

  beforeEach(async () => {
    dataSource = createTestDataSource();
    await dataSource.initialize();
    await dataSource.getRepository(Author).insert([{ name: "ada" }, { name: "grace" }]);
    dataSource.queryLog.clear();
  });

  afterEach(async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
  });

  /** Who served each statement `fn` caused. */
  async function servers(fn: () => Promise<unknown>): Promise<string[]> {
    const { queries } = await dataSource.queryLog.capture(fn);
    return queries.filter((q) => q.kind === "data").map(servedBy);
  }

  it("should send every read TypeORM routes to a replica to the master inside the scope", async () => {
    const authors = dataSource.getRepository(Author);
    const modes: string[] = [];
    const reads = async () => {
      await authors.findOneBy({ name: "ada" });
      await authors.count();
      await dataSource.createQueryBuilder(Author, "a").where("a.name = :name", { name: "grace" }).getOne();
      const runner = dataSource.createQueryRunner("slave");
      try {
        modes.push(runner.getReplicationMode());
        await runner.manager.find(Author);
      } finally {
        await runner.release();
      }
    };
    expect(await servers(() => usePrimary(reads))).to.deep.equal(["master", "master", "master", "master"]);
    expect(await servers(reads)).to.satisfy((served: string[]) => served.length === 4 && served.every((s) => /^replica \d$/.test(s)));
    expect(modes).to.deep.equal(["master", "slave"]);
  });

  it("should return what the function returns, sync or async", async () => {
    expect(usePrimary(() => 42)).to.equal(42);
    const ada = await usePrimary(() => dataSource.getRepository(Author).findOneByOrFail({ name: "ada" }));
    expect(ada.name).to.equal("ada");
    const error = new Error("boom");
    expect(() =>
      usePrimary(() => {
        throw error;
      }),
    ).to.throw(error);
  });

  it("should keep nested scopes on the primary, and end with the outermost", async () => {
    const authors = dataSource.getRepository(Author);
    const served = await servers(() =>
      usePrimary(async () => {
        await usePrimary(() => authors.findOneBy({ name: "ada" }));
        await authors.findOneBy({ name: "ada" });
      }),
    );
    expect(served).to.deep.equal(["master", "master"]);
    expect(await servers(() => authors.findOneBy({ name: "ada" })))
      .to.have.length(1)
      .and.satisfy((s: string[]) => s[0]!.startsWith("replica"));
  });

  it("should route concurrent flows by their own scope only", async () => {
    const authors = dataSource.getRepository(Author);
    const flows = Array.from({ length: 40 }, (_, i) => {
      const marker = `flow-${i}`;
      const read = async () => {
        await sleep(i % 7);
        await authors.findOneBy({ name: marker });
        await sleep(3 - (i % 4));
        await authors.findOneBy({ name: marker });
      };
      return { marker, primary: i % 2 === 0, run: i % 2 === 0 ? () => usePrimary(read) : read };
    });
    await Promise.all(flows.map((flow) => flow.run()));
    for (const flow of flows) {
      const served = servedByMarker(dataSource, flow.marker);
      expect(served, flow.marker).to.have.length(2);
      for (const server of served) expect(server, flow.marker).to.match(flow.primary ? /^master$/ : /^replica \d$/);
    }
  });

  it("should run transaction() inside a scope on the master, and keep the scope after it", async () => {
    const served = await servers(() =>
      usePrimary(async () => {
        await dataSource.transaction(async (manager) => {
          await manager.getRepository(Author).insert({ name: "linus" });
          await manager.getRepository(Author).findOneByOrFail({ name: "linus" });
        });
        await dataSource.getRepository(Author).findOneByOrFail({ name: "linus" });
      }),
    );
    expect(served).to.deep.equal(["master", "master", "master"]);
  });

  for (const flavour of [
    { name: "legacy (experimentalDecorators)", experimentalDecorators: true, helper: "__decorate(" },
    { name: "standard (TC39)", experimentalDecorators: false, helper: "__esDecorate(" },
  ]) {
    describe(`@UsePrimary() as ${flavour.name} decorators`, () => {
      const { Class, emitted } = compileReader(flavour.experimentalDecorators);

      it("should be compiled as TypeScript emits that flavour", () => {
        expect(emitted).to.include(flavour.helper);
      });

      it("should read from the master in decorated methods, async or returning a promise, and from replicas elsewhere", async () => {
        const reader = new Class(dataSource);
        expect(await servers(() => reader.findOnPrimary("ada"))).to.deep.equal(["master"]);
        expect(await servers(() => reader.countOnPrimary("ada"))).to.deep.equal(["master"]);
        expect((await servers(() => reader.findOnReplica("ada")))[0]).to.match(/^replica \d$/);
        expect((await reader.findOnPrimary("grace"))?.name).to.equal("grace");
        expect(Class.prototype.findOnPrimary.name).to.equal("findOnPrimary");
      });
    });
  }

  it("should type-check the decorated fixture under standard decorators too", function () {
    this.timeout(60_000);
    const program = ts.createProgram([READER], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts"],
      types: ["node"],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(READER));
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))).to.deep.equal([]);
  });
});
