import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { COMBINATIONS, ENGINE_PACKAGES, PGLITE_PACKAGE, type TestCombination } from "./support/test-combination";

/** The cells of the README's "Engines and compatibility" table, one array per line. */
function compatibilityTable(): string[][] {
  const readme = readFileSync(path.resolve(__dirname, "../README.md"), "utf8");
  const start = readme.indexOf("## Engines and compatibility");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  return section
    .split("\n")
    .filter((line) => line.startsWith("|") && !line.startsWith("| ---"))
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

describe("README compatibility table", () => {
  it("should mark as supported exactly the combinations CI runs", () => {
    const [header, ...rows] = compatibilityTable();
    const engineOfColumn = header!.map((cell) =>
      (Object.keys(ENGINE_PACKAGES) as TestCombination["engine"][]).find((engine) => cell.startsWith(`\`${ENGINE_PACKAGES[engine]}\``)),
    );
    const pgliteColumn = header!.findIndex((cell) => cell.startsWith(`\`${PGLITE_PACKAGE}\``));
    const marked: TestCombination[] = [];
    for (const row of rows) {
      const typeorm: TestCombination["typeorm"] = row[0]!.startsWith("1.") ? "1.x" : "0.3";
      row.forEach((cell, column) => {
        const engine = engineOfColumn[column];
        if (engine && cell.startsWith("yes")) marked.push({ typeorm, engine });
      });
      // The PGlite leg runs with the line's default SQLite engine beside it (test/support/test-combination.ts).
      const sqlite = engineOfColumn[row.findIndex((cell) => cell.startsWith("yes, the default"))];
      if (sqlite && row[pgliteColumn]?.startsWith("yes")) marked.push({ typeorm, engine: sqlite, postgres: "pglite" });
    }
    expect(marked).to.have.deep.members([...COMBINATIONS]);
    expect(marked).to.have.length(COMBINATIONS.length);
  });
});
