import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { extensionModule } from "./pglite-extensions";
import type { PgliteExtension, PgliteInstance, PglitePackage } from "./pglite-package";

/** The schema a snapshot holds: the fingerprint it was created for, and how (`synchronize`, `migrations`). */
interface SnapshotSchema {
  readonly hash: string;
  readonly strategy: string;
}

/** One PGlite database of this process, lent to one DataSource (and those sharing its connection) at a time. */
export interface PooledPglite {
  /** Names the database for the rest of the library (`pglite://<id>`). */
  readonly id: number;
  readonly instance: PgliteInstance;
  /** The extensions whose bundles it was started with (`CREATE EXTENSION` works for these only). */
  readonly extensions: ReadonlySet<string>;
  /** The schemas created in it, by table list: each is created once per database. */
  readonly createdSchemas: Set<string>;
  /** The schema of the snapshot it was started from, until something else changes it. */
  snapshotSchema: SnapshotSchema | undefined;
  /** Started from an empty cluster and nothing created in it yet: its first schema can be kept as a snapshot. */
  pristine: boolean;
  /**
   * The hash of the schema its user schemas hold (the fingerprint of the entities and migrations
   * that created it, or of the snapshot it started from); `undefined` when not known.
   */
  holds: string | undefined;
}

/** What a DataSource needs from the PGlite it is lent. */
export interface PgliteNeeds {
  readonly extensions: readonly string[];
  /** The schema fingerprint's hash, when known. */
  readonly schemaHash: string | undefined;
  /** Where snapshots are kept across runs, or `undefined` to keep none. */
  readonly cacheDirectory: string | undefined;
}

// Snapshots are whole data directories (~40 MB uncompressed: loading a gzipped one takes twice as long).
const KEPT_SCHEMA_SNAPSHOTS = 6;

function covers(pooled: PooledPglite, extensions: readonly string[]): boolean {
  return extensions.every((name) => pooled.extensions.has(name));
}

/**
 * The PGlite databases of this process. Starting one is the slow part (about 3 s for a new
 * cluster, 0.5 s from a snapshot), so a database is started once and lent again to the next
 * DataSource when the last one is done with it (the library never commits a test's work; the
 * schema stays). Two DataSources open at the same time get two databases: PGlite is one
 * connection. Snapshots of a new cluster and of each schema are kept in the cache directory and
 * loaded by the next run.
 */
export class PgliteInstancePool {
  private readonly idle: PooledPglite[] = [];
  private ids = 0;

  constructor(private readonly pglite: PglitePackage) {}

  /**
   * A database for `needs`: an idle one of this process when one fits, else a new one, from a
   * snapshot when there is one. An idle database holding another schema (a DataSource of other
   * entities or migrations used it) is emptied first: production's database holds the
   * application's schema only, so the tables of another never show.
   */
  async acquire(needs: PgliteNeeds): Promise<PooledPglite> {
    const fits = this.idle.filter((pooled) => !pooled.instance.closed && covers(pooled, needs.extensions));
    const holdsIt = (pooled: PooledPglite) => !pooled.pristine && needs.schemaHash !== undefined && pooled.holds === needs.schemaHash;
    const chosen = fits.find(holdsIt) ?? fits.find((pooled) => pooled.pristine) ?? fits[0];
    if (!chosen) return this.start(needs);
    this.idle.splice(this.idle.indexOf(chosen), 1);
    if (!chosen.pristine && !holdsIt(chosen)) {
      try {
        await emptied(chosen);
      } catch (error) {
        await chosen.instance.close().catch(() => undefined);
        throw error;
      }
    }
    return chosen;
  }

  /** Takes the database back once its DataSource closed: what its session left open is ended. */
  async release(pooled: PooledPglite): Promise<void> {
    if (pooled.instance.closed) return;
    // The library rolled its session transaction back already; ROLLBACK only warns when none is open.
    await pooled.instance.query("ROLLBACK");
    await pooled.instance.query("DISCARD ALL");
    this.idle.push(pooled);
  }

  /** Keeps `pooled`'s data directory as the snapshot of `schema`, for the next runs. */
  async saveSchemaSnapshot(pooled: PooledPglite, schema: SnapshotSchema, cacheDirectory: string): Promise<void> {
    const file = this.snapshotFile(cacheDirectory, `schema-${schema.hash}`, [...pooled.extensions]);
    await this.writeSnapshot(pooled.instance, file, schema);
    await pruneSchemaSnapshots(cacheDirectory);
  }

  private async start(needs: PgliteNeeds): Promise<PooledPglite> {
    const extensions = this.bundles(needs.extensions);
    const names = Object.keys(extensions).map((module) => needs.extensions.find((name) => extensionModule(name) === module)!);
    const base = (directory: string) => this.snapshotFile(directory, "cluster", []);
    const schemaFile = (directory: string) =>
      needs.schemaHash === undefined ? undefined : this.snapshotFile(directory, `schema-${needs.schemaHash}`, names);
    const pooled = (instance: PgliteInstance, snapshotSchema: SnapshotSchema | undefined, pristine: boolean): PooledPglite => ({
      id: ++this.ids,
      instance,
      extensions: new Set(names),
      createdSchemas: new Set(),
      snapshotSchema,
      pristine,
      holds: snapshotSchema?.hash,
    });
    const directory = needs.cacheDirectory;
    if (directory !== undefined) {
      const withSchema = schemaFile(directory);
      const schemaSnapshot = withSchema && (await readSnapshot(withSchema));
      if (schemaSnapshot) {
        return pooled(await this.pglite.create({ dataDirectory: schemaSnapshot.data, extensions }), schemaSnapshot.schema, false);
      }
      const cluster = await readSnapshot(base(directory));
      if (cluster) return pooled(await this.pglite.create({ dataDirectory: cluster.data, extensions }), undefined, true);
    }
    const instance = await this.pglite.create({ extensions });
    if (directory !== undefined) await this.writeSnapshot(instance, base(directory), undefined);
    return pooled(instance, undefined, true);
  }

  private bundles(names: readonly string[]): Record<string, PgliteExtension> {
    const bundles: Record<string, PgliteExtension> = {};
    for (const name of names) {
      const module = extensionModule(name);
      const bundle = module && this.pglite.extension(module);
      if (module && bundle) bundles[module] = bundle;
    }
    return bundles;
  }

  private snapshotFile(directory: string, what: string, extensions: readonly string[]): string {
    const suffix = extensions.length > 0 ? `-${[...extensions].sort().join("+")}` : "";
    return path.join(directory, `pglite-${this.pglite.version}-${what}${suffix}.tar`);
  }

  private async writeSnapshot(instance: PgliteInstance, file: string, schema: SnapshotSchema | undefined): Promise<void> {
    // The data directory is dumped as it is on disk while Postgres runs: the run that loads it
    // recovers from the last checkpoint, replaying all WAL written since (initdb's, the schema's).
    // A checkpoint first leaves nothing to replay: only the start time depends on it.
    await instance.query("CHECKPOINT").catch(() => undefined);
    const data = Buffer.from(await (await instance.dumpDataDir("none")).arrayBuffer());
    await mkdir(path.dirname(file), { recursive: true });
    // Written aside and renamed: a run reading it meanwhile (another worker) sees all of it or nothing.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, data);
    if (schema) await writeFile(`${file}.json`, JSON.stringify(schema));
    await rename(partial, file);
  }
}

/**
 * Drops every schema but the system's, and creates `public` again as a new cluster has it (owner,
 * privileges, comment): what the database held goes, extensions installed in those schemas with it.
 */
async function emptied(pooled: PooledPglite): Promise<void> {
  await pooled.instance.exec(`
    DO $typeorm_shared$ DECLARE name text; BEGIN
      FOR name IN SELECT nspname FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg\\_%temp\\_%'
      LOOP EXECUTE format('DROP SCHEMA %I CASCADE', name); END LOOP;
    END $typeorm_shared$;
    CREATE SCHEMA public AUTHORIZATION pg_database_owner;
    GRANT USAGE ON SCHEMA public TO PUBLIC;
    COMMENT ON SCHEMA public IS 'standard public schema';
  `);
  pooled.createdSchemas.clear();
  pooled.snapshotSchema = undefined;
  pooled.holds = undefined;
}

async function readSnapshot(file: string): Promise<{ data: Uint8Array; schema: SnapshotSchema | undefined } | undefined> {
  try {
    const data = await readFile(file);
    const schema = await readFile(`${file}.json`, "utf8").then(
      (json) => JSON.parse(json) as SnapshotSchema,
      () => undefined,
    );
    // Marks it used, for pruning.
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
    return { data, schema };
  } catch {
    return undefined;
  }
}

/** Keeps the most recently used schema snapshots; a schema that changes leaves its old ones behind. */
async function pruneSchemaSnapshots(directory: string): Promise<void> {
  const files = (await readdir(directory)).filter((name) => name.includes("-schema-") && name.endsWith(".tar"));
  const dated = await Promise.all(files.map(async (name) => ({ name, used: (await stat(path.join(directory, name))).mtimeMs })));
  dated.sort((a, b) => b.used - a.used);
  for (const { name } of dated.slice(KEPT_SCHEMA_SNAPSHOTS)) {
    await rm(path.join(directory, name), { force: true });
    await rm(path.join(directory, `${name}.json`), { force: true });
  }
}
