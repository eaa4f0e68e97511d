// `npm run build`: compiles src/ to dist/ (CommonJS and .d.ts), then writes the ESM entries.
// An ESM entry re-exports the CommonJS build instead of being a second build, so an application
// that imports the package and one that requires it share one copy of every class: `instanceof`
// holds across import styles, as it does for TypeORM itself.
//
// Entries (package.json "exports"): "." and "./jest" are CommonJS with an ESM re-export.
// "./vitest" is the other way round: Vitest's API is ES modules only, so its entry is compiled to
// an ES module (importing "vitest" and the CommonJS adapter), and require() loads that module.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const require = createRequire(import.meta.url);
const ts = require("typescript");

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });

/** Writes `<entry>.mjs`, re-exporting the CommonJS `<entry>.js`, and its types. Only values exist at runtime. */
function reexportCommonJs(entry) {
  const names = Object.keys(require(path.join(dist, `${entry}.js`))).filter((name) => name !== "__esModule");
  const base = path.basename(entry);
  writeFileSync(
    path.join(dist, `${entry}.mjs`),
    `// Re-exports the CommonJS build (see scripts/build.mjs).\nimport cjs from "./${base}.js";\n\nexport const {\n${names.map((n) => `  ${n},`).join("\n")}\n} = cjs;\n`,
  );
  writeFileSync(path.join(dist, `${entry}.d.mts`), `export * from "./${base}.js";\n`);
  return names.length;
}

/** Compiles `src/<entry>.ts` to an ES module, and makes the CommonJS `<entry>.js` load it. */
function esModuleEntry(entry) {
  const source = readFileSync(path.join(root, "src", `${entry}.ts`), "utf8");
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  });
  writeFileSync(path.join(dist, `${entry}.mjs`), outputText);
  writeFileSync(path.join(dist, `${entry}.d.mts`), `export * from "./${path.basename(entry)}.js";\n`);
  writeFileSync(
    path.join(dist, `${entry}.js`),
    `"use strict";
// require() of this entry loads its ES module (see scripts/build.mjs): Node.js 20.19+ and 22.12+ load
// ES modules with require(); older versions need import().
try {
  module.exports = require("./${path.basename(entry)}.mjs");
} catch (error) {
  if (error && error.code === "ERR_REQUIRE_ESM") {
    error.message =
      "typeorm-shared-replication/${path.basename(path.dirname(entry))} is an ES module, as Vitest's API is: import it (Vitest test and setup files do), " +
      "or use Node.js 20.19+ / 22.12+, whose require() loads ES modules. " + error.message;
  }
  throw error;
}
`,
  );
}

const rootNames = reexportCommonJs("index");
reexportCommonJs("jest/index");
esModuleEntry("vitest/index");
console.log(`dist/: CommonJS, .d.ts, and ESM entries (the root re-exports ${rootNames} names; jest, vitest)`);
