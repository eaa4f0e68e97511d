import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
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

/** The parts of Emscripten's `FS` a data directory is written with. */
interface EmscriptenFs {
  analyzePath(path: string): { exists: boolean };
  mkdirTree(path: string): void;
  writeFile(path: string, data: Uint8Array): void;
  utime(path: string, atime: number, mtime: number): void;
}

/**
 * PGlite's in-memory filesystem (`MemoryFS`, the default one). PGlite calls `initialSyncFs()`
 * once Emscripten's `FS` is ready (as `this.pg.Module.FS`), before it looks for a data directory.
 */
interface PgliteMemoryFs {
  initialSyncFs(): Promise<void>;
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

/**
 * PGlite's in-memory filesystem, holding the data directory `tar` from the start. PGlite's own
 * `loadDataDir` does the same slower: it takes a `Blob` (a copy of the 40 MB, read back in chunks),
 * copies every file out of the tar and looks every parent directory up again for each file. The
 * files and directories written are the same as its: PGlite finds the data directory there and
 * starts from it.
 */
function dataDirectoryFilesystem(MemoryFS: new () => PgliteMemoryFs, root: string, tar: Uint8Array): PgliteMemoryFs {
  class DataDirectoryFs extends MemoryFS {
    override async initialSyncFs(): Promise<void> {
      await super.initialSyncFs();
      const fs = (this as unknown as { pg?: { Module?: { FS?: Partial<EmscriptenFs> } } }).pg?.Module?.FS;
      if (typeof fs?.writeFile !== "function" || typeof fs.mkdirTree !== "function" || typeof fs.analyzePath !== "function") {
        throw new FilesystemUnavailable();
      }
      untar(fs as EmscriptenFs, root, tar);
    }
  }
  return new DataDirectoryFs();
}

/** This PGlite's MemoryFS does not hold Emscripten's `FS` where {@link dataDirectoryFilesystem} looks for it. */
class FilesystemUnavailable extends Error {}

const BLOCK = 512;
const REGULAR_FILE = 0;
const DIRECTORY = 5;

/**
 * Writes the entries of `tar` (ustar, as PGlite's `dumpDataDir` writes it) under `root` as
 * PGlite's `loadTar` does: directories made, regular files written and given the tar's
 * modification time, other entries skipped.
 */
function untar(fs: EmscriptenFs, root: string, tar: Uint8Array): void {
  const made = new Set<string>();
  const directory = (dir: string) => {
    if (made.has(dir)) return;
    if (!fs.analyzePath(dir).exists) fs.mkdirTree(dir);
    made.add(dir);
  };
  directory(root);
  let offset = 0;
  while (offset + BLOCK <= tar.length && tar[offset] !== 0) {
    const header = tarHeader(tar, offset);
    offset += BLOCK;
    const file = `${root}/${header.name.replace(/^\/+/, "")}`.replace(/\/+$/, "");
    if (header.type === DIRECTORY) {
      directory(file);
    } else if (header.type === REGULAR_FILE) {
      if (offset + header.size > tar.length) throw corrupted("a file runs past its end");
      directory(file.slice(0, file.lastIndexOf("/")));
      fs.writeFile(file, tar.subarray(offset, offset + header.size));
      fs.utime(file, header.modified, header.modified);
      offset += Math.ceil(header.size / BLOCK) * BLOCK;
    }
  }
  if (!fs.analyzePath(`${root}/PG_VERSION`).exists) throw corrupted("it holds no PG_VERSION");
}

function tarHeader(tar: Uint8Array, offset: number): { name: string; type: number; size: number; modified: number } {
  const text = (start: number, length: number) => {
    const bytes = tar.subarray(offset + start, offset + start + length);
    const end = bytes.indexOf(0);
    return String.fromCharCode(...(end === -1 ? bytes : bytes.subarray(0, end)));
  };
  const octal = (start: number, length: number) => parseInt(text(start, length).trim(), 8) || 0;
  if (!text(257, 6).startsWith("ustar")) throw corrupted("an entry is not a ustar header");
  let checksum = 0;
  // The checksum field itself counts as eight spaces.
  for (let i = 0; i < BLOCK; i++) checksum += i >= 148 && i < 156 ? 0x20 : tar[offset + i]!;
  if (checksum !== octal(148, 8)) throw corrupted("a header's checksum does not match");
  const type = tar[offset + 156]!;
  // ustar splits a path longer than 100 characters into a prefix and a name.
  const prefix = text(345, 155);
  return {
    name: prefix ? `${prefix}/${text(0, 100)}` : text(0, 100),
    // "0" and NUL are regular files.
    type: type === 0 ? REGULAR_FILE : type - 0x30,
    size: octal(124, 12),
    modified: tar[offset + 136] === 0 ? Date.now() : octal(136, 12) * 1000,
  };
}

function corrupted(why: string): Error {
  return new Error(`A PGlite data directory snapshot is corrupted (${why}). Delete the snapshot files in the engine's cacheDirectory.`);
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
