import { expect } from "chai";
import path from "node:path";
import ts from "typescript";

/** Every name exported from src/index.ts, with whether its declaration carries TSDoc. */
function publicExports(): { name: string; documented: boolean }[] {
  const index = path.resolve(__dirname, "../src/index.ts");
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
});
