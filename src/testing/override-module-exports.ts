import path from "node:path";
import { SharedReplicationError } from "../errors/shared-replication-error";

/**
 * Makes every later `require()` of `modulePath` (a loaded CommonJS module) return its exports with
 * `overrides` in place: the test bootstrap's way to swap an application's module-level DataSource
 * singleton for a SharedReplicationDataSource without editing application code. Node hands each new
 * importer the cached module's `exports` object, so replacing that object swaps the module for
 * everything loaded afterwards, however it was compiled. Modules loaded earlier keep the object
 * they already have, so this fails if any module of the module's folder, other than the module and
 * what it imports, is already loaded: load the bootstrap first (mocha: the first file of `require`
 * in `.mocharc.json`).
 *
 * CommonJS only: it works on Node's CommonJS module cache, for application modules that are
 * compiled to CommonJS (ts-node, `tsc` with `"module": "commonjs"`), from `import` or `require`
 * alike. ES module applications have no such cache; there, mock the module with your runner
 * (`vi.mock(path, factory)` in a Vitest setup file, `jest.mock(path, factory)` in a Jest one), or
 * let the application take its DataSource as a parameter. Jest and Vitest keep their own module
 * registries: use their module mocking there too.
 *
 * @param modulePath the module's resolved file name: `require.resolve("../src/data-source")`
 *   (from an ES module, `createRequire(import.meta.url).resolve(…)`).
 * @param overrides the exports to replace, by name; the module's other exports stay as they are.
 * @throws SharedReplicationError when the module is not loaded yet, or other modules of its folder
 *   were loaded before it and keep the production exports.
 *
 * @example
 * ```ts
 * // test/bootstrap.ts, the first file of "require" in .mocharc.json
 * import { SharedReplicationDataSource, overrideModuleExports } from "typeorm-shared-replication";
 * import { productionOptions } from "../src/data-source";
 *
 * export const testDataSource = new SharedReplicationDataSource(productionOptions);
 * overrideModuleExports(require.resolve("../src/data-source"), { AppDataSource: testDataSource });
 * ```
 */
export function overrideModuleExports(modulePath: string, overrides: object): void {
  const cached = require.cache[modulePath];
  if (!cached) {
    throw new SharedReplicationError(
      `${modulePath} is not loaded as a CommonJS module: import it before overriding its exports. ` +
        "ES modules, and modules Jest or Vitest load, have no such cache: mock the module with your test runner instead (jest.mock, vi.mock).",
    );
  }
  const appDir = path.dirname(modulePath) + path.sep;
  const ownImports = new Set<string>();
  const collect = (module: NodeJS.Module) => {
    if (ownImports.has(module.filename) || !module.filename.startsWith(appDir)) return;
    ownImports.add(module.filename);
    module.children.forEach(collect);
  };
  collect(cached);
  const early = Object.keys(require.cache).filter((file) => file.startsWith(appDir) && !ownImports.has(file));
  if (early.length > 0) {
    throw new SharedReplicationError(
      `${early.join(", ")} loaded before the test bootstrap replaced ${path.basename(modulePath)}, so they keep the production ` +
        `exports. Load the bootstrap first: with mocha, make it the first file of "require" in .mocharc.json.`,
    );
  }
  cached.exports = Object.defineProperties(
    {},
    { ...Object.getOwnPropertyDescriptors(cached.exports), ...Object.getOwnPropertyDescriptors(overrides) },
  );
}
