// The suite's second run (`npm run test:sqlite`, .mocharc.sqlite.json) loads this before the
// bootstrap. It makes `@electric-sql/pglite` look uninstalled, as in an application that never
// installed it, so the library's default engine for this Postgres application is in-memory SQLite
// with Postgres types emulated. The bootstrap and the tests are the same in both runs.
import Module from "node:module";

const PGLITE_PACKAGE = "@electric-sql/pglite";

type ResolveFilename = (request: string, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: ResolveFilename };
const resolveFilename = moduleInternals._resolveFilename;

moduleInternals._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
  if (request === PGLITE_PACKAGE || request.startsWith(`${PGLITE_PACKAGE}/`)) {
    throw Object.assign(new Error(`Cannot find module '${request}' (hidden: this run is on the SQLite engine)`), {
      code: "MODULE_NOT_FOUND",
    });
  }
  return resolveFilename.call(this, request, ...rest);
};
