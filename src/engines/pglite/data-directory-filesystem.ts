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
export interface PgliteMemoryFs {
  initialSyncFs(): Promise<void>;
}

/**
 * PGlite's in-memory filesystem, holding the data directory `tar` from the start. PGlite's own
 * `loadDataDir` does the same slower: it takes a `Blob` (a copy of the 40 MB, read back in chunks),
 * copies every file out of the tar and looks every parent directory up again for each file. The
 * files and directories written are the same as its: PGlite finds the data directory there and
 * starts from it.
 */
export function dataDirectoryFilesystem(MemoryFS: new () => PgliteMemoryFs, root: string, tar: Uint8Array): PgliteMemoryFs {
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
export class FilesystemUnavailable extends Error {}

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
