/**
 * Settings of the `"pglite"` engine: real Postgres (PGlite, `@electric-sql/pglite`) in process.
 * `engine: "pglite"` is the same as `engine: { type: "pglite" }`.
 *
 * @example
 * ```ts
 * new SharedReplicationDataSource(productionOptions, {
 *   engine: { type: "pglite", extensions: ["pg_trgm"] }, // raw SQL uses similarity(): no entity says so
 * });
 * ```
 */
export interface PgliteEngineSettings {
  readonly type: "pglite";
  /**
   * Extensions to start PGlite with besides those the entities and migrations are seen to use
   * (`uuid-ossp`, `pgcrypto`, `citext`, `hstore`, `pg_trgm`, `ltree`, `cube`, `earthdistance`,
   * `btree_gist`, `btree_gin`, `fuzzystrmatch`, `unaccent`): an extension only raw SQL uses.
   * Extensions are made available, not created: `CREATE EXTENSION` is still the application's
   * (or TypeORM's, for `uuid`, `citext` and `hstore` columns). The default value is `[]`.
   */
  readonly extensions?: readonly string[];
  /**
   * Where snapshots of PGlite's data directory are kept across runs: one of a new cluster, and one
   * per schema (keyed by a hash of the entities and migrations), so a run whose schema did not
   * change starts from its snapshot instead of creating it. `false` keeps none. The default value
   * is `node_modules/.cache/typeorm-shared-replication` under the working directory.
   */
  readonly cacheDirectory?: string | false;
}
