// `npm run build`: compiles src/ to dist/ (CommonJS and .d.ts), then writes the ESM entry.
// The ESM entry re-exports the CommonJS build instead of being a second build, so an application
// that imports the package and one that requires it share one copy of every class: `instanceof`
// holds across import styles, as it does for TypeORM itself.
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const require = createRequire(import.meta.url);

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });

// Only values exist at runtime; the type-only exports come from index.d.mts.
const names = Object.keys(require(path.join(dist, "index.js"))).filter((name) => name !== "__esModule");
writeFileSync(
  path.join(dist, "index.mjs"),
  `// Re-exports the CommonJS build (see scripts/build.mjs).\nimport cjs from "./index.js";\n\nexport const {\n${names.map((n) => `  ${n},`).join("\n")}\n} = cjs;\n`,
);
writeFileSync(path.join(dist, "index.d.mts"), `export * from "./index.js";\n`);
console.log(`dist/: CommonJS, .d.ts, and an ESM entry re-exporting ${names.length} names`);
