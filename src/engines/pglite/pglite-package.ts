import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { EngineNotInstalledError } from "../../errors/engine-not-installed-error";
import { loadDriverPackage } from "../load-driver-package";
import { dataDirectoryFilesystem, FilesystemUnavailable, type PgliteMemoryFs } from "./data-directory-filesystem";

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
  exec(sql: string): Promise<unknown>;
  dumpDataDir(compression?: "none" | "gzip" | "auto"): Promise<Blob>;
  close(): Promise<void>;
}

/** How the engine starts a PGlite database. */
export interface PgliteStart {
  /** A data directory as `dumpDataDir("none")` wrote it (a tar) to start from, or `undefined` for a new cluster. */
  readonly dataDirectory?: Uint8Array;
  readonly extensions?: Readonly<Record<string, PgliteExtension>>;
}

/** What a compiled WebAssembly module is to the engine: passed to PGlite, never looked into. */
type CompiledWasm = object;

/** The options of `PGlite.create` the engine passes. */
interface PgliteOptions {
  readonly loadDataDir?: Blob;
  readonly extensions?: Readonly<Record<string, PgliteExtension>>;
  readonly fs?: PgliteMemoryFs;
  readonly pgliteWasmModule?: CompiledWasm;
}

interface PgliteModule {
  PGlite: { create(options?: PgliteOptions): Promise<PgliteInstance>; readonly paths?: { readonly PGDATA?: unknown } };
  MemoryFS?: new () => PgliteMemoryFs;
}

interface WebAssemblyCompiler {
  compile(bytes: Uint8Array): Promise<CompiledWasm>;
}

/** The `pg` connection PGlite ships (`@electric-sql/pglite/node-postgres`): `pg`'s own client speaks the wire protocol to PGlite through it. */
export interface PgliteNodePostgres {
  createPgConfig(pglite: PgliteInstance): { readonly connection: unknown };
}

/** What the engine loads from the PGlite package, loaded once per process. */
export interface PglitePackage {
  readonly version: string;
  create(start: PgliteStart): Promise<PgliteInstance>;
  readonly nodePostgres: PgliteNodePostgres;
  /** The extension bundle `@electric-sql/pglite/contrib/<module>` exports, or `undefined` when this PGlite does not ship it. */
  extension(module: string): PgliteExtension | undefined;
}

let compiledWasm: Promise<CompiledWasm | undefined> | undefined;

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
  // Compiled from now on, off the main thread, while the DataSource is built and the schema
  // fingerprinted: PGlite would compile it only once started, with nothing else to do meanwhile.
  compiledWasm ??= compilePgliteWasm();
  const wasm = compiledWasm;
  const dataDirectoryRoot = pglite.PGlite.paths?.PGDATA;
  const MemoryFS = pglite.MemoryFS;
  return {
    version: packageVersion(),
    create: async ({ dataDirectory, extensions }) => {
      const pgliteWasmModule = await wasm;
      const options: PgliteOptions = { extensions, ...(pgliteWasmModule ? { pgliteWasmModule } : {}) };
      if (!dataDirectory) return pglite.PGlite.create(options);
      if (typeof MemoryFS === "function" && typeof dataDirectoryRoot === "string") {
        try {
          return await pglite.PGlite.create({ ...options, fs: dataDirectoryFilesystem(MemoryFS, dataDirectoryRoot, dataDirectory) });
        } catch (error) {
          // A PGlite whose MemoryFS is built otherwise: its own, slower loader.
          if (!(error instanceof FilesystemUnavailable)) throw error;
        }
      }
      return pglite.PGlite.create({ ...options, loadDataDir: new Blob([dataDirectory]) });
    },
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

/** `pglite.wasm` compiled, or `undefined` when it cannot be (PGlite then compiles it itself, and says what is wrong). */
async function compilePgliteWasm(): Promise<CompiledWasm | undefined> {
  try {
    const compiler = (globalThis as unknown as { WebAssembly?: WebAssemblyCompiler }).WebAssembly;
    if (typeof compiler?.compile !== "function") return undefined;
    return await compiler.compile(await readFile(require.resolve(`${PGLITE_PACKAGE}/pglite.wasm`)));
  } catch {
    return undefined;
  }
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
