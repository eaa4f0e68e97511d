import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const root = path.resolve(__dirname, "..");
/** `<!-- snippet: file#region -->` (the lines of a region) or `<!-- snippet: file -->` (the whole file), then a fenced block. */
const MARKER = /<!-- snippet: ([^\s#]+)(?:#(\S+))? -->\n+```(\w+)\n([\s\S]*?)```/g;

/** The lines between `// #region name` and `// #endregion name`, as the file has them. */
function regionLines(file: string, name: string): string {
  const lines = readFileSync(path.join(root, file), "utf8").split("\n");
  const start = lines.findIndex((line) => line.trim() === `// #region ${name}`);
  const end = lines.findIndex((line) => line.trim() === `// #endregion ${name}`);
  if (start < 0 || end < start) throw new Error(`${file} has no region "${name}"`);
  return `${lines.slice(start + 1, end).join("\n")}\n`;
}

/** What the README shows: the examples import the library by its relative path; readers install it by name. */
function asShown(code: string): string {
  return code.replace(/from "(?:\.\.\/)+src(\/[a-z-]+)?"/g, 'from "typeorm-shared-replication$1"');
}

interface Snippet {
  readonly file: string;
  readonly region: string | undefined;
  readonly language: string;
  readonly shown: string;
}

/**
 * Type-checks each TypeScript region on its own, as a file next to the one it comes from: the
 * snippet compiles with nothing but what it shows (its imports included).
 */
function standaloneDiagnostics(snippets: readonly Snippet[]): Map<Snippet, string[]> {
  const { config } = ts.readConfigFile(path.join(root, "tsconfig.json"), (file) => ts.sys.readFile(file));
  const options: ts.CompilerOptions = {
    ...ts.parseJsonConfigFileContent(config, ts.sys, root).options,
    noEmit: true,
    // The sample app imports the library by name; here it is this repository's source.
    baseUrl: root,
    paths: { "typeorm-shared-replication": ["src/index.ts"], "typeorm-shared-replication/*": ["src/*/index.ts"] },
  };
  const virtual = new Map(
    snippets.map((snippet) => [
      path.join(root, path.dirname(snippet.file), `readme-snippet.${snippet.region}.ts`),
      { snippet, text: regionLines(snippet.file, snippet.region!) },
    ]),
  );
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, ...rest) => {
    const entry = virtual.get(path.resolve(fileName));
    return entry ? ts.createSourceFile(fileName, entry.text, language) : getSourceFile(fileName, language, ...rest);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => virtual.has(path.resolve(fileName)) || fileExists(fileName);
  const program = ts.createProgram([...virtual.keys()], options, host);
  const result = new Map<Snippet, string[]>();
  for (const [fileName, { snippet }] of virtual) {
    const source = program.getSourceFile(fileName)!;
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    result.set(
      snippet,
      diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    );
  }
  return result;
}

describe("README", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const snippets: Snippet[] = [...readme.matchAll(MARKER)].map(([, file, region, language, shown]) => ({
    file: file!,
    region,
    language: language!,
    shown: shown!,
  }));

  it("should take its code snippets from files the test suite runs", () => {
    expect(snippets.length).to.be.at.least(12);
    expect(readme.match(/```(ts|js|json)\n/g)?.length, "every ts, js and json block has a snippet marker").to.equal(snippets.length);
  });

  for (const snippet of snippets) {
    const name = snippet.region ? `${snippet.file}#${snippet.region}` : snippet.file;
    it(`should show ${name} exactly as the file has it`, () => {
      const expected = snippet.region
        ? asShown(regionLines(snippet.file, snippet.region))
        : readFileSync(path.join(root, snippet.file), "utf8");
      expect(snippet.shown).to.equal(expected);
    });
  }

  it("should show TypeScript snippets that compile on their own, imports included", function () {
    this.timeout(60_000);
    const typescript = snippets.filter((snippet) => snippet.language === "ts" && snippet.region);
    const failures = [...standaloneDiagnostics(typescript)]
      .filter(([, messages]) => messages.length > 0)
      .map(([snippet, messages]) => `${snippet.file}#${snippet.region}:\n  ${messages.join("\n  ")}`);
    expect(failures).to.deep.equal([]);
  });
});
