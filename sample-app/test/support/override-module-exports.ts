import path from "node:path";

/**
 * Makes every later `require()` of `modulePath` (a loaded CommonJS module) return its exports with
 * `overrides` in place. Node hands each new importer the cached module's `exports` object, so
 * replacing that object swaps the module for everything loaded afterwards, however it was compiled.
 * Modules loaded earlier keep the object they already have: this fails if any module of the
 * module's folder, other than the module and what it imports, is already loaded.
 */
export function overrideModuleExports(modulePath: string, overrides: object): void {
  const cached = require.cache[modulePath];
  if (!cached) throw new Error(`${modulePath} is not loaded yet: import it before overriding its exports.`);
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
    throw new Error(
      `${early.join(", ")} loaded before the test bootstrap replaced ${path.basename(modulePath)}, so they keep the production ` +
        `exports. Load the bootstrap first: it must be the first file of "require" in .mocharc.json.`,
    );
  }
  cached.exports = Object.defineProperties(
    {},
    { ...Object.getOwnPropertyDescriptors(cached.exports), ...Object.getOwnPropertyDescriptors(overrides) },
  );
}
