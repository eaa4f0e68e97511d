import { readFileSync } from "node:fs";
import path from "node:path";
import { EngineNotInstalledError } from "../../errors/engine-not-installed-error";
import { loadDriverPackage } from "../load-driver-package";

/** The package the `"pglite"` engine runs: Postgres compiled to WebAssembly, in process. */
export const PGLITE_PACKAGE = "@electric-sql/pglite";

// Described structurally, as kysely describes its peers: no type of the package is imported, so
// the library builds and loads without it.

/** A PGlite extension bundle, as `@electric-sql/pglite/contrib/<name>` exports it. */
export type PgliteExtension = object;

/** The parts of a PGlite instance the engine uses. */
export interface PgliteInstance {
  readonly closed: boolean;
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
  dumpDataDir(compression?: "none" | "gzip" | "auto"): Promise<Blob>;
  close(): Promise<void>;
}

export interface PgliteOptions {
  readonly loadDataDir?: Blob;
  readonly extensions?: Readonly<Record<string, PgliteExtension>>;
}

interface PgliteModule {
  PGlite: { create(options?: PgliteOptions): Promise<PgliteInstance> };
}

/** The `pg` connection PGlite ships (`@electric-sql/pglite/node-postgres`): `pg`'s own client speaks the wire protocol to PGlite through it. */
export interface PgliteNodePostgres {
  createPgConfig(pglite: PgliteInstance): { readonly connection: unknown };
}

/** What the engine loads from the PGlite package, loaded once per process. */
export interface PglitePackage {
  readonly version: string;
  create(options: PgliteOptions): Promise<PgliteInstance>;
  readonly nodePostgres: PgliteNodePostgres;
  /** The extension bundle `@electric-sql/pglite/contrib/<module>` exports, or `undefined` when this PGlite does not ship it. */
  extension(module: string): PgliteExtension | undefined;
}

/**
 * Loads `@electric-sql/pglite` (Node caches it), or says how to install it.
 *
 * @throws EngineNotInstalledError when the package cannot be loaded.
 */
export function loadPglitePackage(): PglitePackage {
  const pglite = loadDriverPackage<PgliteModule>("pglite", PGLITE_PACKAGE);
  const nodePostgres = loadDriverPackage<PgliteNodePostgres>("pglite", `${PGLITE_PACKAGE}/node-postgres`);
  if (typeof pglite.PGlite?.create !== "function" || typeof nodePostgres.createPgConfig !== "function") {
    throw new EngineNotInstalledError(
      "pglite",
      PGLITE_PACKAGE,
      new Error(`${PGLITE_PACKAGE} has no PGlite.create() or node-postgres createPgConfig(): version 0.4 or later is needed`),
    );
  }
  return {
    version: packageVersion(),
    create: (options) => pglite.PGlite.create(options),
    nodePostgres,
    extension: (module) => {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return (require(`${PGLITE_PACKAGE}/contrib/${module}`) as Record<string, PgliteExtension>)[module];
      } catch {
        return undefined;
      }
    },
  };
}

// The package exports no "./package.json": read it beside the entry point (dist/index.cjs).
function packageVersion(): string {
  try {
    const file = path.join(path.dirname(require.resolve(PGLITE_PACKAGE)), "..", "package.json");
    return String((JSON.parse(readFileSync(file, "utf8")) as { version?: unknown }).version);
  } catch {
    return "unknown";
  }
}
