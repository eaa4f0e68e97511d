import { expect } from "chai";
import path from "node:path";
import ts from "typescript";

/** Every name exported from an entry point (src/index.ts by default), with whether its declaration carries TSDoc. */
function publicExports(entry = "src/index.ts"): { name: string; documented: boolean }[] {
  const index = path.resolve(__dirname, "..", entry);
  const program = ts.createProgram([index], { strict: true, experimentalDecorators: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  return checker.getExportsOfModule(moduleSymbol).map((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const documented = (symbol.declarations ?? []).some((declaration) => ts.getJSDocCommentsAndTags(declaration).length > 0);
    return { name: exported.getName(), documented };
  });
}

describe("public API", () => {
  const exports = publicExports();

  it("should export the names the issues promise", () => {
    const names = exports.map((e) => e.name);
    expect(names).to.include.members([
      "SharedReplicationDataSource",
      "ReplicaWriteError",
      "ConnectionWaitTimeoutError",
      "InvalidSettingsError",
      "TransactionalTestCase",
      "TruncatingTestCase",
      "useTransactionalTests",
      "transactionalRootHooks",
      "TestIsolation",
      "assertNumQueries",
      "assertQueries",
      "TestLeakError",
      "QueryAssertionError",
    ]);
  });

  it("should document every exported name with TSDoc", () => {
    const undocumented = exports.filter((e) => !e.documented).map((e) => e.name);
    expect(undocumented).to.deep.equal([]);
  });

  for (const runner of ["jest", "vitest"]) {
    it(`should export useTransactionalTests from typeorm-shared-replication/${runner}, documented`, () => {
      const entry = publicExports(`src/${runner}/index.ts`);
      expect(entry.map((e) => e.name)).to.have.members(["useTransactionalTests", "TransactionalTests", "TestIsolationOptions"]);
      expect(entry.filter((e) => !e.documented).map((e) => e.name)).to.deep.equal([]);
    });
  }

  it("should load neither Jest nor Vitest from the package root", async () => {
    await import("../src");
    const loaded = Object.keys(require.cache).filter((file) =>
      /[\\/]node_modules[\\/](jest[^\\/]*|@jest|vitest|@vitest|vite)[\\/]/.test(file),
    );
    expect(loaded).to.deep.equal([]);
  });
});
