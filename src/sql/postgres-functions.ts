import { isTrivia, tokenize } from "./tokenizer";

/** Schemas that are never the application's (`n`): the catalogs, and every lag controller's own. */
export const SYSTEM_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT LIKE 'typeorm\\_shared\\_lag\\_%'`;

/** Functions (`p`) of the application's: in its schemas, not an extension's. */
export const APPLICATION_FUNCTION =
  `p.pronamespace IN (SELECT n.oid FROM pg_namespace n WHERE ${SYSTEM_SCHEMAS}) ` +
  `AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')`;

const CACHE_LIMIT = 512;

/** Words a `(` follows that call no function. */
const NOT_CALLS = new Set(
  "where and or not in on as values exists any all some select from join using over filter within into limit offset by having when then else case returning set table lateral union except intersect with is between like ilike distinct array row cast".split(
    " ",
  ),
);

/** What may create, change or drop a function. */
const FUNCTION_DDL = /\b(?:function|procedure|extension|schema)\b/i;

/** The names of the functions `sql` calls (`name(`), as Postgres folds them. */
export function calledFunctions(sql: string): Set<string> {
  const tokens = tokenize(sql, "postgres").filter((token) => !isTrivia(token.kind));
  const text = (i: number) => sql.slice(tokens[i]?.start ?? 0, tokens[i]?.end ?? 0);
  const called = new Set<string>();
  for (let i = 0; i + 1 < tokens.length; i++) {
    const token = tokens[i]!;
    if (text(i + 1) !== "(" || (token.kind !== "word" && token.kind !== "quoted-identifier")) continue;
    const name = token.kind === "word" ? text(i).toLowerCase() : text(i).slice(1, -1).split('""').join('"');
    if (token.kind === "quoted-identifier" || !NOT_CALLS.has(name)) called.add(name);
  }
  return called;
}

/**
 * Whether a Postgres read calls a VOLATILE function of the application's, which may write (an
 * INSERT in a function called by SELECT) or change the session. The functions' names are read
 * once, and again after a statement that may have created or dropped one.
 */
export class VolatileCalls {
  private names: Set<string> | undefined;
  /** The functions each statement text calls: statements repeat, and this runs on reads. */
  private readonly calls = new Map<string, readonly string[]>();

  /** A statement other than a read ran: one that may change the functions makes their names stale. */
  noteStatement(sql: string): void {
    if (this.names && FUNCTION_DDL.test(sql)) this.names = undefined;
  }

  async in(sql: string, read: (sql: string) => Promise<Record<string, unknown>[]>): Promise<boolean> {
    const called = this.callsOf(sql);
    if (called.length === 0) return false;
    const names = this.names ?? (await this.load(read));
    for (const name of called) if (names.has(name)) return true;
    return false;
  }

  private callsOf(sql: string): readonly string[] {
    let called = this.calls.get(sql);
    if (called === undefined) {
      called = [...calledFunctions(sql)];
      if (this.calls.size >= CACHE_LIMIT) this.calls.delete(this.calls.keys().next().value!);
      this.calls.set(sql, called);
    }
    return called;
  }

  /** Reads the names of the application's VOLATILE functions. */
  async load(read: (sql: string) => Promise<Record<string, unknown>[]>): Promise<Set<string>> {
    const rows = await read(`SELECT DISTINCT p.proname AS name FROM pg_proc p WHERE p.provolatile = 'v' AND ${APPLICATION_FUNCTION}`);
    this.names = new Set(rows.map((row) => String(row.name)));
    return this.names;
  }
}
