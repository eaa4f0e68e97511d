// Loaded with `--require` before any test file (see .mocharc.json and test/harness-runs.test.ts), so
// it decides what `require("typeorm")` and the driver packages resolve to for the whole process.
import Module from "node:module";
import { ENGINE_PACKAGES, PGLITE_PACKAGE, testCombination } from "./test-combination";

type ResolveFilename = (request: string, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: ResolveFilename };
const resolveFilename = moduleInternals._resolveFilename;

// Other engines' packages look uninstalled, as in a project that installed only this one: the
// library's default engine is then the combination's, and every test runs on it. PGlite is
// installed only in the PGlite leg (TEST_ENGINE=pglite), where Postgres applications default to it.
const hidden = Object.entries(ENGINE_PACKAGES)
  .filter(([engine]) => engine !== testCombination.engine)
  .map(([, packageName]) => packageName)
  .concat(testCombination.postgres === "pglite" ? [] : [PGLITE_PACKAGE]);

function isPackage(request: string, name: string): boolean {
  return request === name || request.startsWith(`${name}/`);
}

moduleInternals._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
  if (hidden.some((name) => isPackage(request, name))) {
    throw Object.assign(
      new Error(`Cannot find module '${request}' (hidden: the tests run on ${testCombination.postgres ?? testCombination.engine})`),
      {
        code: "MODULE_NOT_FOUND",
      },
    );
  }
  // typeorm-1 is the npm alias of TypeORM 1.x; subpaths such as "typeorm/driver/…" follow it.
  if (testCombination.typeorm === "1.x" && isPackage(request, "typeorm")) request = `typeorm-1${request.slice("typeorm".length)}`;
  return resolveFilename.call(this, request, ...rest);
};
