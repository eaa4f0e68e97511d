import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "..");
const MARKER = /<!-- snippet: (\S+)#(\S+) -->\n+```ts\n([\s\S]*?)```/g;

/** The lines between `// #region name` and `// #endregion name`, as the README shows them. */
function region(file: string, name: string): string {
  const lines = readFileSync(path.join(root, file), "utf8").split("\n");
  const start = lines.findIndex((line) => line.trim() === `// #region ${name}`);
  const end = lines.findIndex((line) => line.trim() === `// #endregion ${name}`);
  if (start < 0 || end < start) throw new Error(`${file} has no region "${name}"`);
  // The examples import the library by its relative path; readers install it by name.
  return `${lines
    .slice(start + 1, end)
    .join("\n")
    .replace(/from "(\.\.\/)+src"/g, 'from "typeorm-shared-replication"')}\n`;
}

describe("README", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const snippets = [...readme.matchAll(MARKER)];

  it("should take its code snippets from files the test suite runs", () => {
    expect(snippets.length).to.be.at.least(4);
  });

  for (const [, file, name, shown] of snippets) {
    it(`should show ${file}#${name} exactly as the file has it`, () => {
      expect(shown).to.equal(region(file!, name!));
    });
  }
});
