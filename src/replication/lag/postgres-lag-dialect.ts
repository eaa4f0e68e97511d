import { createHash } from "node:crypto";
import type { CapturedTable, LagDialect, LagExecution, ReplicaNames, SchemaObject } from "./lag-dialect";
import { APPLICATION_FUNCTION, calledFunctions, SYSTEM_SCHEMAS } from "../../sql/postgres-functions";
import { isTrivia, tokenize } from "../../sql/tokenizer";
import { replicaRead, UNHELD_TABLE } from "./replica-statement";

/** Postgres's limit on an identifier's length, in bytes. */
const MAX_IDENTIFIER = 63;

/**
 * Functions of the application's (`p`) that may read tables: not IMMUTABLE. Postgres's plan does
 * not show what they read, which is the master's tables.
 */
const TABLE_READING_FUNCTION =
  `${APPLICATION_FUNCTION} AND p.provolatile <> 'i' ` +
  // A SQL or PL/pgSQL body that names no table and runs no query of its own (current_setting() helpers) reads none.
  `AND NOT (p.prolang IN (SELECT l.oid FROM pg_language l WHERE l.lanname IN ('sql', 'plpgsql')) ` +
  `AND p.prosrc !~* '\\m(from|join|table|execute|perform|copy|into|cursor|query)\\M') ` +
  `AND p.prolang NOT IN (SELECT l.oid FROM pg_language l WHERE l.lanname IN ('c', 'internal'))`;

/** Schemas a replica read may reach besides the replica's: the catalogs, and the session's temporary tables. */
const SHARED_SCHEMAS = /^(?:pg_catalog|information_schema|pg_temp_\d+|pg_toast(?:_temp_\d+)?)$/;

/**
 * The settings a row's text is printed and read back with, whatever the application sets: its
 * time zone, date and interval styles and float digits change the text, and could change what it
 * reads back as.
 */
const FIXED_SETTINGS: readonly (readonly [name: string, value: string])[] = [
  ["TimeZone", "UTC"],
  ["DateStyle", "ISO, YMD"],
  ["IntervalStyle", "postgres"],
  ["extra_float_digits", "3"],
  ["bytea_output", "hex"],
];

/** Built-in functions that run a query Postgres's plan does not show: on a replica they would read the master's tables. */
const QUERY_RUNNING_FUNCTIONS = new Set([
  "query_to_xml",
  "query_to_xmlschema",
  "query_to_xml_and_xmlschema",
  "table_to_xml",
  "table_to_xmlschema",
  "table_to_xml_and_xmlschema",
  "schema_to_xml",
  "schema_to_xmlschema",
  "schema_to_xml_and_xmlschema",
  "database_to_xml",
  "database_to_xmlschema",
  "database_to_xml_and_xmlschema",
  "cursor_to_xml",
  "cursor_to_xmlschema",
  "ts_stat",
  "ts_rewrite",
]);

/** What may change the search path unqualified names resolve through: `SET search_path`, `SET SCHEMA`, `set_config`, `RESET ALL`, `DISCARD ALL`. */
const CHANGES_SEARCH_PATH = /search_path|\bset_config\s*\(|\bset\s+(?:session\s+|local\s+)?schema\b|\b(?:reset|discard)\s+all\b/i;

/** Statements Postgres's EXPLAIN plans, so that a replica read's tables can be checked. */
const EXPLAINABLE = new Set(["SELECT", "WITH", "VALUES", "TABLE", "(", "DECLARE"]);

/** Statements that read no table, which a replica runs as they are. */
const READS_NO_TABLE = new Set([
  "SHOW",
  "SET",
  "RESET",
  "BEGIN",
  "START",
  "COMMIT",
  "END",
  "ROLLBACK",
  "ABORT",
  "SAVEPOINT",
  "RELEASE",
  "DISCARD",
  "LISTEN",
  "UNLISTEN",
  "DEALLOCATE",
]);

/** Statements that reach a cursor by name. */
const CURSOR_STATEMENTS = new Set(["FETCH", "MOVE", "CLOSE"]);

/** Quotes a Postgres identifier. */
function quote(name: string): string {
  return `"${name.split('"').join('""')}"`;
}

/** A string literal. */
function literal(value: string): string {
  return `'${value.split("'").join("''")}'`;
}

/** `"schema"."name"`: how objects are keyed and named. */
function qualified(schema: string, name: string): string {
  return `${quote(schema)}.${quote(name)}`;
}

/** The plan nodes' relations, with their schemas, of `EXPLAIN (VERBOSE, FORMAT JSON)` output. */
function planSchemas(plan: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(plan)) for (const item of plan) planSchemas(item, into);
  else if (plan && typeof plan === "object") {
    const node = plan as Record<string, unknown>;
    if (typeof node["Relation Name"] === "string") into.add(String(node.Schema ?? ""));
    for (const value of Object.values(node)) if (value && typeof value === "object") planSchemas(value, into);
  }
  return into;
}

/**
 * Lag on Postgres engines (PGlite, a Postgres server). Each replica is a set of schemas of the one
 * database, one per schema of the application's, holding a copy of every table made with
 * `CREATE TABLE … (LIKE …)` (same columns, types, collations and NOT NULL; no defaults, identity,
 * generation or foreign keys: a replica holds the master's values as they are). One trigger
 * function captures every row the master writes into one log, as the text of the row
 * (`NEW::text`, `OLD::text`), which Postgres reads back exactly into the copy's row type;
 * `TRUNCATE` is captured too. A sync applies the net change of the commits it carries over:
 * rows gone are deleted (found by primary key, or whole), rows come are inserted. Everything
 * lives in the test harness's session transaction, so nothing of it outlives the DataSource.
 * Replica reads are pointed at the copies and checked with `EXPLAIN (VERBOSE)`, whose plan names
 * the schema of every relation it reads.
 */
export class PostgresLagDialect implements LagDialect {
  readonly altersNeedTriggersDropped = false;
  readonly savepointsNeedTransaction = true;
  private readonly lag: string;
  private readonly cursors: Set<string>[] = [];

  constructor(private readonly prefix: string) {
    this.lag = quote(prefix);
  }

  attachStatements(): string[] {
    return [];
  }

  async createLog(exec: LagExecution): Promise<void> {
    const lag = this.lag;
    // A run killed while its copies were committed (a truncating lifecycle, keepDatabase) left them.
    await this.dropCopies(exec);
    await exec.write(`CREATE SCHEMA ${lag}`);
    await exec.write(`CREATE TABLE ${lag}.log (seq bigserial PRIMARY KEY, tbl integer NOT NULL, op "char" NOT NULL, image text)`);
    await exec.write(`CREATE INDEX ON ${lag}.log (tbl, seq)`);
    await exec.write(
      `CREATE FUNCTION ${lag}.capture() RETURNS trigger LANGUAGE plpgsql ` +
        `${FIXED_SETTINGS.map(([name, value]) => `SET ${quote(name)} = ${literal(value)}`).join(" ")} AS $capture$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO ${lag}.log (tbl, op) VALUES (TG_ARGV[0]::integer, 'T');
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN INSERT INTO ${lag}.log (tbl, op, image) VALUES (TG_ARGV[0]::integer, 'D', OLD::text); END IF;
  IF TG_OP <> 'DELETE' THEN INSERT INTO ${lag}.log (tbl, op, image) VALUES (TG_ARGV[0]::integer, 'W', NEW::text); END IF;
  RETURN NULL;
END
$capture$`,
    );
  }

  async dropCopies(exec: LagExecution): Promise<void> {
    const replicas = `${this.prefix}_r`;
    const schemas = await exec.read(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname = ${literal(this.prefix)} OR left(nspname, ${replicas.length}) = ${literal(replicas)}`,
    );
    // The capture's triggers depend on its function, and go with its schema.
    for (const { name } of schemas) await exec.write(`DROP SCHEMA IF EXISTS ${quote(String(name))} CASCADE`);
  }

  async lastSeq(exec: LagExecution): Promise<number> {
    const rows = await exec.read(`SELECT coalesce(max(seq), 0)::text AS seq FROM ${this.lag}.log`);
    return Number(rows[0]?.seq ?? 0);
  }

  /**
   * Every relation of the application's schemas, with the transaction that last wrote its catalog
   * rows (its columns' and, for views, its rule's): any DDL writes one, and a rollback takes it
   * back. Event triggers would be cheaper but do not fire in PGlite's single-user mode.
   */
  async schemaVersion(exec: LagExecution): Promise<string> {
    const rows = await exec.read(
      `SELECT md5(coalesce(string_agg(c.oid::text || ':' || c.xmin::text || ':' || ` +
        `coalesce((SELECT max(a.xmin::text::bigint) FROM pg_attribute a WHERE a.attrelid = c.oid)::text, '') || ':' || ` +
        `coalesce((SELECT max(r.xmin::text::bigint) FROM pg_rewrite r WHERE r.ev_class = c.oid)::text, ''), ',' ORDER BY c.oid), '')) AS version ` +
        `FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'i') AND ${SYSTEM_SCHEMAS}`,
    );
    // Capture triggers disabled (ALTER TABLE … DISABLE TRIGGER ALL) or enabled again are a change too.
    const triggers = await exec.read(
      `SELECT coalesce(string_agg(t.tgrelid::text || t.tgenabled::text, ',' ORDER BY t.oid), '') AS states FROM pg_trigger t ` +
        `WHERE t.tgname IN (${this.triggerNames().map(literal).join(", ")})`,
    );
    return `${String(rows[0]?.version ?? "")}:${String(triggers[0]?.states ?? "")}`;
  }

  async masterObjects(exec: LagExecution): Promise<SchemaObject[]> {
    const rows = await exec.read(
      `SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind, ` +
        `c.relispartition OR c.relpersistence = 'u' OR c.relrowsecurity OR EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid OR h.inhparent = c.oid) AS "notCopied", ` +
        `CASE WHEN c.relkind IN ('r', 'p', 'f', 'm') THEN (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) || ` +
        `coalesce(' COLLATE ' || (SELECT quote_ident(l.collname) FROM pg_collation l WHERE l.oid = a.attcollation AND a.attcollation <> 0), '') || ` +
        `CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY a.attnum) ` +
        `FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) END AS columns, ` +
        `(SELECT array_to_json(array_agg(a.attname ORDER BY array_position(i.indkey::int2[], a.attnum)))::text FROM pg_index i ` +
        `JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[]) WHERE i.indrelid = c.oid AND i.indisprimary) AS key, ` +
        `CASE WHEN c.relkind = 'i' THEN pg_get_indexdef(c.oid) END AS indexdef, ` +
        `(SELECT array_to_json(ARRAY[tn.nspname, t.relname])::text FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid ` +
        `JOIN pg_namespace tn ON tn.oid = t.relnamespace WHERE i.indexrelid = c.oid) AS "indexOn", ` +
        `CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END AS viewdef, ` +
        `c.relkind = 'v' AND EXISTS (SELECT 1 FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid ` +
        `JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND d.refobjid = p.oid WHERE r.ev_class = c.oid AND ${TABLE_READING_FUNCTION}) AS "callsFunctions" ` +
        `FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ` +
        `WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'i') AND ${SYSTEM_SCHEMAS} ORDER BY c.oid`,
    );
    const tables: SchemaObject[] = [];
    const indexes: SchemaObject[] = [];
    const views: SchemaObject[] = [];
    for (const row of rows) {
      const name = qualified(String(row.schema), String(row.name));
      const kind = String(row.kind);
      if (kind === "i") {
        const [schema, table] = JSON.parse(String(row.indexOn)) as [string, string];
        indexes.push({ type: "index", name, tableName: qualified(schema, table), sql: String(row.indexdef) });
      } else if (kind === "v") {
        // A view calling a function of the application's would read the master's tables through it.
        views.push({ type: "view", name, tableName: name, sql: `${row.oid}:${row.viewdef}`, unreplicable: row.callsFunctions === true });
      } else {
        // Partitions, partitioned and inheriting tables, materialized views and foreign tables hold
        // rows a row trigger on the table does not see whole; a hot standby refuses unlogged tables;
        // row-level security policies are not copied: a replica read of one is refused.
        const unreplicable = kind !== "r" || row.notCopied === true;
        const key = row.key === null || row.key === undefined ? "[]" : String(row.key);
        tables.push({ type: "table", name, tableName: name, sql: `${row.oid}:${row.columns ?? ""}|${key}`, unreplicable });
      }
    }
    // Views are made again when any table or view changes: they are bound to what they read, and
    // dropping one drops the views that read it.
    const tablesVersion = createHash("md5")
      .update([...tables, ...views].map((object) => object.sql).join("\n"))
      .digest("hex");
    const replicable = new Set(tables.filter((table) => !table.unreplicable).map((table) => table.name));
    return [
      ...tables,
      ...indexes.filter((index) => replicable.has(index.tableName)),
      ...views.map((view) => ({ ...view, sql: `${view.sql}\n${tablesVersion}` })),
    ];
  }

  async capture(exec: LagExecution, object: SchemaObject, id: number): Promise<CapturedTable> {
    const key = JSON.parse(object.sql!.slice(object.sql!.lastIndexOf("|") + 1)) as string[];
    const table: CapturedTable = { id, name: object.name, sql: object.sql!, key: key.map(quote), columns: [] };
    const [rows, truncate] = this.triggerNames().map(quote) as [string, string];
    // A table renamed or moved keeps the triggers of its capture under its old name.
    for (const trigger of [rows, truncate]) await exec.write(`DROP TRIGGER IF EXISTS ${trigger} ON ${object.name}`);
    await exec.write(
      `CREATE TRIGGER ${rows} AFTER INSERT OR UPDATE OR DELETE ON ${object.name} FOR EACH ROW EXECUTE FUNCTION ${this.lag}.capture('${id}')`,
    );
    await exec.write(
      `CREATE TRIGGER ${truncate} AFTER TRUNCATE ON ${object.name} FOR EACH STATEMENT EXECUTE FUNCTION ${this.lag}.capture('${id}')`,
    );
    // Fired whatever session_replication_role is (fixtures are often loaded with it set to replica).
    for (const trigger of [rows, truncate]) await exec.write(`ALTER TABLE ${object.name} ENABLE ALWAYS TRIGGER ${trigger}`);
    return table;
  }

  async dropCapture(exec: LagExecution, table: CapturedTable): Promise<void> {
    // Its triggers went with the table when it was dropped; a table that changed keeps them.
    for (const trigger of this.triggersOf(table)) await this.dropTrigger(exec, trigger);
    await exec.write(`DELETE FROM ${this.lag}.log WHERE tbl = ${table.id}`);
  }

  async captureTriggers(exec: LagExecution): Promise<Set<string>> {
    const rows = await exec.read(
      `SELECT t.tgname AS trigger, n.nspname AS schema, c.relname AS table ` +
        `FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace ` +
        `WHERE t.tgname IN (${this.triggerNames().map(literal).join(", ")}) AND t.tgenabled = 'A'`,
    );
    // Only triggers that always fire count: one disabled, or enabled again as ORIGIN, is made again.
    return new Set(rows.map((row) => `${quote(String(row.trigger))} ON ${qualified(String(row.schema), String(row.table))}`));
  }

  triggersOf(table: CapturedTable): string[] {
    return this.triggerNames().map((trigger) => `${quote(trigger)} ON ${table.name}`);
  }

  async dropTrigger(exec: LagExecution, name: string): Promise<void> {
    // `"trigger" ON "schema"."table"`; the table may be gone already, and its triggers with it.
    const table = name.slice(name.lastIndexOf(" ON ") + 4);
    const exists = await exec.read(`SELECT to_regclass(${literal(table)}) IS NOT NULL AS present`);
    if (exists[0]?.present === true) await exec.write(`DROP TRIGGER IF EXISTS ${name}`);
  }

  async touchedTables(exec: LagExecution, lo: number, hi: number): Promise<Set<number>> {
    const rows = await exec.read(`SELECT DISTINCT tbl FROM ${this.lag}.log WHERE seq > ${lo} AND seq <= ${hi}`);
    return new Set(rows.map((row) => Number(row.tbl)));
  }

  /**
   * With the settings rows were captured with ({@link FIXED_SETTINGS}), for the rows' text to read
   * back, and compare, as it was printed; the application's are put back after. On failure the
   * caller's savepoint rollback puts them back.
   */
  async applying(exec: LagExecution, fn: () => Promise<void>): Promise<void> {
    const columns = FIXED_SETTINGS.map(([name], i) => `current_setting(${literal(name)}) AS "s${i}"`);
    const before = (await exec.read(`SELECT ${columns.join(", ")}`))[0] ?? {};
    await exec.read(`SELECT ${FIXED_SETTINGS.map(([name, value]) => `set_config(${literal(name)}, ${literal(value)}, true)`).join(", ")}`);
    await fn();
    await exec.read(
      `SELECT ${FIXED_SETTINGS.map(([name], i) => `set_config(${literal(name)}, $${i + 1}, true)`).join(", ")}`,
      FIXED_SETTINGS.map((_, i) => String(before[`s${i}`])),
    );
  }

  /**
   * The net change of `(lo, hi]` (after its last TRUNCATE, which empties the copy): rows whose
   * image was deleted more often than written are deleted (by primary key, or whole where the
   * table has none), rows written more often than deleted are inserted. As a multiset this is
   * exact in any order of events, including updates that move keys within one statement.
   */
  async apply(exec: LagExecution, index: number, table: CapturedTable, lo: number, hi: number): Promise<void> {
    const copy = this.replicaName(index, table.name);
    const truncated = await exec.read(
      `SELECT max(seq)::text AS seq FROM ${this.lag}.log WHERE tbl = ${table.id} AND op = 'T' AND seq > ${lo} AND seq <= ${hi}`,
    );
    const from = truncated[0]?.seq === null || truncated[0]?.seq === undefined ? lo : Number(truncated[0].seq);
    if (from !== lo) await exec.write(`DELETE FROM ${copy}`);
    const net =
      `SELECT image, sum(CASE op WHEN 'W' THEN 1 ELSE -1 END) AS n, max(seq) AS last FROM ${this.lag}.log ` +
      `WHERE tbl = ${table.id} AND op <> 'T' AND seq > ${from} AND seq <= ${hi} GROUP BY image`;
    const same = table.key.length
      ? table.key.map((column) => `y.${column} = (net.image::${copy}).${column}`).join(" AND ")
      : `y::text = net.image`;
    await exec.write(
      `DELETE FROM ${copy} AS x USING (SELECT gone.ctid FROM (${net}) AS net ` +
        `CROSS JOIN LATERAL (SELECT y.ctid FROM ${copy} AS y WHERE ${same} LIMIT -net.n) AS gone WHERE net.n < 0) AS d WHERE x.ctid = d.ctid`,
    );
    await exec.write(
      `INSERT INTO ${copy} SELECT (come.row).* FROM (SELECT net.image::${copy} AS row FROM (${net}) AS net ` +
        `CROSS JOIN generate_series(1, net.n) WHERE net.n > 0 ORDER BY net.last OFFSET 0) AS come`,
    );
  }

  async createReplicaObject(exec: LagExecution, index: number, object: SchemaObject): Promise<boolean> {
    const [schema] = splitQualified(object.name);
    await exec.write(`CREATE SCHEMA IF NOT EXISTS ${quote(this.replicaSchema(index, schema))}`);
    await this.dropReplicaObject(exec, index, object.type, object.name);
    const copy = this.replicaName(index, object.name);
    if (object.type === "table") await exec.write(`CREATE TABLE ${copy} (LIKE ${object.name})`);
    else if (object.type === "index") await exec.write(this.replicaIndex(index, object));
    else if (object.type === "view") await this.createView(exec, index, object);
    else return false;
    return true;
  }

  async dropReplicaObject(exec: LagExecution, index: number, type: string, name: string): Promise<void> {
    const copy = this.replicaName(index, name);
    const present = await exec.read(`SELECT to_regclass(${literal(copy)}) IS NOT NULL AS present`);
    if (present[0]?.present !== true) return;
    // Views read the table: they are made again after it (see masterObjects).
    await exec.write(`DROP ${type.toUpperCase()} IF EXISTS ${copy} CASCADE`);
  }

  async copyWhole(exec: LagExecution, index: number, table: CapturedTable): Promise<void> {
    const copy = this.replicaName(index, table.name);
    await exec.write(`DELETE FROM ${copy}`);
    await exec.write(`INSERT INTO ${copy} SELECT * FROM ${table.name}`);
  }

  routeName(name: string): string {
    return name;
  }

  changesNameResolution(sql: string): boolean {
    return CHANGES_SEARCH_PATH.test(sql);
  }

  async routeRead(
    exec: LagExecution,
    index: number,
    sql: string,
    parameters: unknown[] | undefined,
    names: ReplicaNames,
  ): Promise<{ readonly sql: string; readonly cache?: boolean } | { readonly refused: string }> {
    if (statementCount(sql) > 1) {
      return { refused: "It holds several statements, which Postgres' plan cannot check one by one. Send each on its own." };
    }
    const first = firstWord(sql);
    if (CURSOR_STATEMENTS.has(first)) return this.routeCursorStatement(index, sql, first);
    if (READS_NO_TABLE.has(first)) return { sql };
    const explainable = EXPLAINABLE.has(first) ? "" : first === "EXPLAIN" ? explainedStatement(sql) : undefined;
    if (explainable === undefined) {
      return {
        refused:
          `Postgres cannot show which tables a ${first} statement reads, so it cannot be checked to reach the replica's copies. ` +
          "Run it through the master, or as a SELECT.",
      };
    }
    const path = await this.searchPath(exec);
    const read = replicaRead(sql, {
      dialect: "postgres",
      unqualified: (name) => {
        for (const schema of path) {
          const key = qualified(schema, name);
          if (names.unreplicable.has(key)) return { refused: `It reads ${key}, which replicas in lag mode do not hold (${UNREPLICABLE}).` };
          if (names.replicated.has(key)) return { prefix: `${quote(this.replicaSchema(index, schema))}.` };
        }
        return undefined;
      },
      qualified: (schema, name) => (names.replicated.has(qualified(schema, name)) ? quote(this.replicaSchema(index, schema)) : undefined),
    });
    if ("refused" in read) return read;
    const called = await this.tableReadingFunctionsCalled(exec, read.sql);
    if (called) {
      return {
        refused:
          `It calls ${called}(), ${QUERY_RUNNING_FUNCTIONS.has(called) ? "which runs a query" : "a function of yours that may read tables"}: ` +
          "it would read the master's tables, where a replica reads its own. " +
          "Read it through the master.",
      };
    }
    const rows = await exec.read(`EXPLAIN (VERBOSE, FORMAT JSON) ${read.sql.slice(explainable.length)}`, parameters);
    const plan = rows[0] ? Object.values(rows[0])[0] : undefined;
    const schemas = planSchemas(typeof plan === "string" ? JSON.parse(plan) : plan, new Set());
    const replica = new Set(Array.from(this.replicaSchemasOf(index, path, names)));
    for (const schema of schemas) if (!replica.has(schema) && !SHARED_SCHEMAS.test(schema)) return { refused: UNHELD_TABLE };
    if (first !== "DECLARE") return read;
    this.cursorsOf(index).add(cursorName(sql, "declared"));
    return { sql: read.sql, cache: false };
  }

  /** The cursors declared through replica `index`, by name. */
  private cursorsOf(index: number): Set<string> {
    return (this.cursors[index] ??= new Set());
  }

  /**
   * FETCH, MOVE and CLOSE reach a cursor by name: only one declared through the same replica, since
   * a replica's session holds no cursor of the master's. A DECLARE goes on to be routed and checked.
   */
  private routeCursorStatement(index: number, sql: string, first: string): { sql: string; cache: false } | { refused: string } {
    const cursor = cursorName(sql, "last");
    if ((first === "CLOSE" && cursor === "all") || this.cursorsOf(index).has(cursor)) return { sql, cache: false };
    return {
      refused: `It reads the cursor ${cursor}, which was not declared through this replica: a replica's session holds no cursor of the master's.`,
    };
  }

  /** The first function `sql` calls that may read tables (see {@link TABLE_READING_FUNCTION}), if any. */
  private async tableReadingFunctionsCalled(exec: LagExecution, sql: string): Promise<string | undefined> {
    const called = calledFunctions(sql);
    if (called.size === 0) return undefined;
    for (const name of called) if (QUERY_RUNNING_FUNCTIONS.has(name)) return name;
    const rows = await exec.read(`SELECT DISTINCT p.proname AS name FROM pg_proc p WHERE ${TABLE_READING_FUNCTION}`);
    return rows.map((row) => String(row.name)).find((name) => called.has(name));
  }

  /** The schemas unqualified names are looked up in, in order (without the implicit catalog). */
  private async searchPath(exec: LagExecution): Promise<string[]> {
    const rows = await exec.read(`SELECT array_to_json(current_schemas(false))::text AS path`);
    return JSON.parse(String(rows[0]?.path ?? "[]")) as string[];
  }

  /** Every schema replica `index` holds copies in. */
  private *replicaSchemasOf(index: number, path: readonly string[], names: ReplicaNames): Iterable<string> {
    for (const schema of path) yield this.replicaSchema(index, schema);
    for (const name of names.replicated) yield this.replicaSchema(index, splitQualified(name)[0]);
  }

  private triggerNames(): [rows: string, truncate: string] {
    return [`${this.prefix}_capture`, `${this.prefix}_truncate`];
  }

  /** The schema of replica `index` holding the copies of schema `schema`'s objects. */
  private replicaSchema(index: number, schema: string): string {
    const name = `${this.prefix}_r${index}_${schema}`;
    if (Buffer.byteLength(name) <= MAX_IDENTIFIER) return name;
    return `${this.prefix}_r${index}_${createHash("md5").update(schema).digest("hex").slice(0, 20)}`;
  }

  /** Replica `index`'s copy of `"schema"."name"`, qualified. */
  private replicaName(index: number, name: string): string {
    const [schema, relation] = splitQualified(name);
    return qualified(this.replicaSchema(index, schema), relation);
  }

  /** The master's index definition, on the replica's copy of its table. */
  private replicaIndex(index: number, object: SchemaObject): string {
    // `CREATE [UNIQUE] INDEX name ON [ONLY] table USING …`, as pg_get_indexdef prints it.
    const definition = object.sql!;
    const tokens = tokenize(definition, "postgres").filter((token) => !isTrivia(token.kind));
    const word = (i: number) => definition.slice(tokens[i]?.start ?? 0, tokens[i]?.end ?? 0).toUpperCase();
    let on = tokens.findIndex((_, i) => word(i) === "ON");
    if (word(on + 1) === "ONLY") on++;
    const using = tokens.findIndex((_, i) => i > on && word(i) === "USING");
    return `${definition.slice(0, tokens[on]!.end)} ${this.replicaName(index, object.tableName)} ${definition.slice(tokens[using]!.start)}`;
  }

  /**
   * A view over the replica's copies: the master's definition, printed with an empty search path
   * (so every name it reads is qualified), its names pointed at the copies the replica holds. A
   * name it has no copy of stays the master's, which the plan check of each read then refuses.
   */
  private async createView(exec: LagExecution, index: number, object: SchemaObject): Promise<void> {
    const before = await exec.read(`SELECT current_setting('search_path') AS path, set_config('search_path', '', true)`);
    let definition: string;
    try {
      definition = String((await exec.read(`SELECT pg_get_viewdef(${literal(object.name)}::regclass) AS sql`))[0]?.sql ?? "");
    } finally {
      await exec.read(`SELECT set_config('search_path', $1, true)`, [String(before[0]?.path ?? "")]);
    }
    const own = `${this.prefix}_r${index}_`;
    const rows = await exec.read(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ` +
        `WHERE left(n.nspname, ${own.length}) = ${literal(own)} AND c.relkind IN ('r', 'v')`,
    );
    const held = new Set(rows.map((row) => qualified(String(row.schema), String(row.name))));
    const read = replicaRead(definition.replace(/;\s*$/, ""), {
      dialect: "postgres",
      unqualified: () => undefined,
      qualified: (schema, name) => {
        const copy = this.replicaSchema(index, schema);
        return held.has(qualified(copy, name)) ? quote(copy) : undefined;
      },
    });
    if ("refused" in read) throw new Error(read.refused);
    await exec.write(`CREATE VIEW ${this.replicaName(index, object.name)} AS ${read.sql}`);
  }
}

const UNREPLICABLE =
  "a partitioned, partition or inheriting table, an unlogged table, a table with row-level security, a materialized view, a foreign table, or a view calling a function of yours";

/** `"schema"."name"` split back into its parts. */
function splitQualified(name: string): [schema: string, relation: string] {
  const [schema, relation] = name.split(/(?<=")\.(?=")/) as [string, string];
  return [unquote(schema), unquote(relation)];
}

function unquote(name: string): string {
  return name.slice(1, -1).split('""').join('"');
}

/** The cursor `DECLARE name …` declares, or the one `FETCH|MOVE|CLOSE … name` names (its last word). */
function cursorName(sql: string, which: "declared" | "last"): string {
  const tokens = tokenize(sql, "postgres").filter((token) => !isTrivia(token.kind) && token.kind !== "separator");
  const token = which === "declared" ? tokens[1] : tokens[tokens.length - 1];
  const text = token ? sql.slice(token.start, token.end) : "";
  return token?.kind === "quoted-identifier" ? unquote(text) : text.toLowerCase();
}

/** How many statements `sql` holds (empty ones between `;`s left out). */
function statementCount(sql: string): number {
  let count = 0;
  let inStatement = false;
  for (const token of tokenize(sql, "postgres")) {
    if (isTrivia(token.kind)) continue;
    if (token.kind === "separator") inStatement = false;
    else if (!inStatement) {
      inStatement = true;
      count++;
    }
  }
  return count;
}

/** The first keyword of a statement, upper-cased (`(` for a parenthesised query). */
function firstWord(sql: string): string {
  const match = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(\(|[A-Za-z]+)/.exec(sql);
  return match ? match[1]!.toUpperCase() : "";
}

/** For `EXPLAIN [options] statement`: the text before the statement, if the statement is one EXPLAIN plans. */
function explainedStatement(sql: string): string | undefined {
  const match = /^\s*EXPLAIN\s+(?:\([^)]*\)\s*|(?:ANALYZE|ANALYSE|VERBOSE)\s+)*/i.exec(sql);
  if (!match) return undefined;
  return EXPLAINABLE.has(firstWord(sql.slice(match[0].length))) ? match[0] : undefined;
}
