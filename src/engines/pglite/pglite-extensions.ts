/** A Postgres extension PGlite ships, and what in a schema or a migration says it is needed. */
interface ExtensionNeed {
  /** The name `CREATE EXTENSION` takes. */
  readonly name: string;
  /** The module under `@electric-sql/pglite/contrib/`, and the name it exports the bundle as. */
  readonly module: string;
  readonly usedBy: RegExp;
}

/**
 * The extensions applications commonly use that PGlite ships, loaded into an instance only when
 * the entities or migrations need them (each costs start time).
 */
export const PGLITE_EXTENSIONS: readonly ExtensionNeed[] = [
  { name: "uuid-ossp", module: "uuid_ossp", usedBy: /uuid-ossp|\buuid_generate_v[1345]/i },
  { name: "pgcrypto", module: "pgcrypto", usedBy: /\bpgcrypto\b|\b(?:crypt|gen_salt|digest|hmac|pgp_sym_encrypt|pgp_sym_decrypt)\s*\(/i },
  { name: "citext", module: "citext", usedBy: /\bcitext\b/i },
  { name: "hstore", module: "hstore", usedBy: /\bhstore\b/i },
  { name: "pg_trgm", module: "pg_trgm", usedBy: /\bpg_trgm\b|\b(?:gin|gist)_trgm_ops\b|\bsimilarity\s*\(|\bword_similarity\s*\(/i },
  { name: "ltree", module: "ltree", usedBy: /\bltree\b|\blquery\b/i },
  { name: "cube", module: "cube", usedBy: /\bcube\b/i },
  { name: "earthdistance", module: "earthdistance", usedBy: /\bearthdistance\b|\bearth_distance\s*\(|\bll_to_earth\s*\(/i },
  { name: "btree_gist", module: "btree_gist", usedBy: /\bbtree_gist\b|\bEXCLUDE\s+USING\s+gist\b/i },
  { name: "btree_gin", module: "btree_gin", usedBy: /\bbtree_gin\b/i },
  { name: "fuzzystrmatch", module: "fuzzystrmatch", usedBy: /\bfuzzystrmatch\b|\b(?:levenshtein|soundex|metaphone|dmetaphone)\s*\(/i },
  { name: "unaccent", module: "unaccent", usedBy: /\bunaccent\b/i },
];

/** The names of the extensions of {@link PGLITE_EXTENSIONS} that `text` (a schema description, migrations' source) uses, plus `requested`. */
export function extensionsNeeded(text: string, requested: readonly string[] = []): string[] {
  const needed = new Set(requested);
  for (const extension of PGLITE_EXTENSIONS) if (extension.usedBy.test(text)) needed.add(extension.name);
  return [...needed].sort();
}

/** The contrib module of extension `name`, or `undefined` when it is not one PGlite ships. */
export function extensionModule(name: string): string | undefined {
  return PGLITE_EXTENSIONS.find((extension) => extension.name === name)?.module;
}
