import { isTrivia, tokenize } from "../../sql/tokenizer";
import type { CapturedTable, LagDialect, LagExecution, ReplicaNames, SchemaObject } from "./lag-dialect";
import { quoteIdentifier, replicaDefinition } from "./replica-schema";
import { readsMasterData, replicaRead, UNHELD_TABLE } from "./replica-statement";

const CAPTURE_TRIGGERS = ["write", "update", "delete"] as const;

/**
 * Lag on the in-memory SQLite engines. Each replica is an attached in-memory database holding a
 * copy of the master's tables, built from the master's own DDL; temporary triggers capture every
 * row the master writes into a log of its table, as the row's new image, under one clock. Reads are
 * checked against SQLite's compiled program (`EXPLAIN`), which names the database of every b-tree.
 */
export class SqliteLagDialect implements LagDialect {
  readonly altersNeedTriggersDropped = true;
  readonly savepointsNeedTransaction = false;

  /**
   * @param prefix names everything of this controller's on the connection.
   * @param schemaOf the name of replica `index`'s attached database.
   */
  constructor(
    private readonly prefix: string,
    private readonly replicaCount: number,
    private readonly schemaOf: (index: number) => string,
  ) {}

  attachStatements(): string[] {
    return Array.from({ length: this.replicaCount }, (_, i) => `ATTACH DATABASE ':memory:' AS ${quoteIdentifier(this.schemaOf(i))}`);
  }

  async createLog(exec: LagExecution): Promise<void> {
    await exec.write(`CREATE TEMP TABLE ${this.clock} (seq INTEGER NOT NULL)`);
    await exec.write(`INSERT INTO ${this.clock} VALUES (0)`);
    // No constraint a trigger's INSERT could hit: an outer statement's conflict clause (an upsert's,
    // OR ROLLBACK) would apply to it too.
    await exec.write(`CREATE TEMP TABLE ${this.touched} (seq INTEGER PRIMARY KEY, tbl INTEGER NOT NULL)`);
  }

  async lastSeq(exec: LagExecution): Promise<number> {
    const rows = await exec.read(`SELECT seq FROM ${this.clock}`);
    return Number(rows[0]?.seq ?? 0);
  }

  async schemaVersion(exec: LagExecution): Promise<string> {
    const rows = await exec.read("PRAGMA main.schema_version");
    return String(Object.values(rows[0] ?? {})[0] ?? 0);
  }

  async masterObjects(exec: LagExecution): Promise<SchemaObject[]> {
    const rows = (await exec.read(
      "SELECT type, name, tbl_name AS tableName, sql FROM main.sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
    )) as unknown as SchemaObject[];
    return rows
      .filter((object) => object.type !== "trigger")
      .map((object) => (object.type === "table" && object.sql && isVirtual(object.sql) ? { ...object, unreplicable: true } : object));
  }

  async capture(exec: LagExecution, object: SchemaObject, id: number): Promise<CapturedTable> {
    const info = await exec.read(`PRAGMA main.table_xinfo(${quoteIdentifier(object.name)})`);
    // hidden: 2 and 3 are generated columns, which the replica computes from the others.
    const columns = info.filter((column) => Number(column.hidden ?? 0) === 0).map((column) => String(column.name));
    const primaryKey = info
      .filter((column) => Number(column.pk) > 0)
      .sort((a, b) => Number(a.pk) - Number(b.pk))
      .map((column) => String(column.name));
    const key = isWithoutRowid(object.sql!) ? primaryKey : ["rowid"];
    const table: CapturedTable = { id, name: object.name, sql: object.sql!, key, columns };
    const log = quoteIdentifier(this.logName(table));
    const keys = key.map((_, i) => `k${i}`);
    await exec.write(
      `CREATE TEMP TABLE ${log} (seq INTEGER PRIMARY KEY, op TEXT NOT NULL, ${[...keys, ...columns.map((_, i) => `c${i}`)].join(", ")})`,
    );
    await exec.write(`CREATE INDEX temp.${quoteIdentifier(`${this.logName(table)}_key`)} ON ${log} (${keys.join(", ")}, seq)`);
    const tick = `UPDATE ${this.clock} SET seq = seq + 1;`;
    const seq = `(SELECT seq FROM ${this.clock})`;
    const keyOf = (row: "OLD" | "NEW") =>
      key.map((column) => `${row}.${column === "rowid" ? "rowid" : quoteIdentifier(column)}`).join(", ");
    const removed = `${tick} INSERT INTO ${log} (seq, op, ${keys.join(", ")}) VALUES (${seq}, 'D', ${keyOf("OLD")});`;
    const written = `${tick} INSERT INTO ${log} VALUES (${seq}, 'W', ${keyOf("NEW")}, ${columns.map((column) => `NEW.${quoteIdentifier(column)}`).join(", ")});`;
    const touch = `INSERT INTO ${this.touched} VALUES (${seq}, ${table.id});`;
    const on = `ON main.${quoteIdentifier(object.name)}`;
    const [write, update, remove] = this.triggersOf(table).map(quoteIdentifier);
    await exec.write(`CREATE TEMP TRIGGER ${write} AFTER INSERT ${on} BEGIN ${written} ${touch} END`);
    await exec.write(`CREATE TEMP TRIGGER ${update} AFTER UPDATE ${on} BEGIN ${removed} ${written} ${touch} END`);
    await exec.write(`CREATE TEMP TRIGGER ${remove} AFTER DELETE ${on} BEGIN ${removed} ${touch} END`);
    return table;
  }

  async dropCapture(exec: LagExecution, table: CapturedTable): Promise<void> {
    // Its triggers go with it.
    await exec.write(`DROP TABLE IF EXISTS temp.${quoteIdentifier(this.logName(table))}`);
  }

  async captureTriggers(exec: LagExecution): Promise<Set<string>> {
    const rows = await exec.read(`SELECT name FROM temp.sqlite_master WHERE type = 'trigger'`);
    return new Set(rows.map((row) => String(row.name)).filter((name) => name.startsWith(`${this.prefix}_log_`)));
  }

  triggersOf(table: CapturedTable): string[] {
    return CAPTURE_TRIGGERS.map((kind) => `${this.logName(table)}_${kind}`);
  }

  async dropTrigger(exec: LagExecution, name: string): Promise<void> {
    await exec.write(`DROP TRIGGER IF EXISTS temp.${quoteIdentifier(name)}`);
  }

  async touchedTables(exec: LagExecution, lo: number, hi: number): Promise<Set<number>> {
    const rows = await exec.read(`SELECT DISTINCT tbl FROM temp.${this.touched} WHERE seq > ${lo} AND seq <= ${hi}`);
    return new Set(rows.map((row) => Number(row.tbl)));
  }

  applying(_exec: LagExecution, fn: () => Promise<void>): Promise<void> {
    return fn();
  }

  /** For each key touched: the key deleted, and the last image inserted (which also handles updates that change the key). */
  async apply(exec: LagExecution, index: number, table: CapturedTable, lo: number, hi: number): Promise<void> {
    const target = `${quoteIdentifier(this.schemaOf(index))}.${quoteIdentifier(table.name)}`;
    const log = `temp.${quoteIdentifier(this.logName(table))}`;
    const keys = table.key.map((_, i) => `k${i}`);
    const keyTarget = table.key[0] === "rowid" ? "rowid" : `(${table.key.map(quoteIdentifier).join(", ")})`;
    const range = (alias: string) => `${alias}.seq > ${lo} AND ${alias}.seq <= ${hi}`;
    await exec.write(`DELETE FROM ${target} WHERE ${keyTarget} IN (SELECT ${keys.join(", ")} FROM ${log} AS l WHERE ${range("l")})`);
    const rowid = table.key[0] === "rowid" ? ["rowid"] : [];
    const columns = [...rowid, ...table.columns].map((column) => (column === "rowid" ? column : quoteIdentifier(column)));
    const values = [...(rowid.length ? ["l.k0"] : []), ...table.columns.map((_, i) => `l.c${i}`)];
    const sameKey = keys.map((key) => `m.${key} = l.${key}`).join(" AND ");
    await exec.write(
      `INSERT INTO ${target} (${columns.join(", ")}) SELECT ${values.join(", ")} FROM ${log} AS l ` +
        `WHERE ${range("l")} AND l.op = 'W' AND l.seq = (SELECT max(m.seq) FROM ${log} AS m WHERE ${sameKey} AND ${range("m")})`,
    );
  }

  async createReplicaObject(exec: LagExecution, index: number, object: SchemaObject): Promise<boolean> {
    const definition = replicaDefinition(object, this.schemaOf(index));
    if (!definition) return false;
    // A table the master replaced under the same name is still there.
    await this.dropReplicaObject(exec, index, object.type, object.name);
    await exec.write(definition);
    return true;
  }

  async dropReplicaObject(exec: LagExecution, index: number, type: string, name: string): Promise<void> {
    await exec.write(`DROP ${type.toUpperCase()} IF EXISTS ${quoteIdentifier(this.schemaOf(index))}.${quoteIdentifier(name)}`);
  }

  async copyWhole(exec: LagExecution, index: number, table: CapturedTable): Promise<void> {
    const target = `${quoteIdentifier(this.schemaOf(index))}.${quoteIdentifier(table.name)}`;
    const rowid = table.key[0] === "rowid" ? ["rowid"] : [];
    const columns = [...rowid, ...table.columns.map(quoteIdentifier)].join(", ");
    await exec.write(`DELETE FROM ${target}`);
    await exec.write(`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM main.${quoteIdentifier(table.name)}`);
  }

  routeName(name: string): string {
    return name.toLowerCase();
  }

  async routeRead(
    exec: LagExecution,
    index: number,
    sql: string,
    parameters: unknown[] | undefined,
    names: ReplicaNames,
  ): Promise<{ readonly sql: string } | { readonly refused: string }> {
    const schema = quoteIdentifier(this.schemaOf(index));
    const read = replicaRead(sql, {
      dialect: "sqlite",
      unqualified: (name) =>
        names.unreplicable.has(name)
          ? { refused: `It reads the virtual table ${name}, which replicas in lag mode do not hold.` }
          : names.replicated.has(name)
            ? { prefix: `${schema}.` }
            : undefined,
      qualified: (qualifier) => (qualifier === "main" ? schema : undefined),
    });
    if ("refused" in read) return read;
    const program = await exec.read(`EXPLAIN ${read.sql}`, parameters);
    return readsMasterData(program) ? { refused: UNHELD_TABLE } : read;
  }

  private get clock(): string {
    return quoteIdentifier(`${this.prefix}_clock`);
  }

  private get touched(): string {
    return quoteIdentifier(`${this.prefix}_touched`);
  }

  private logName(table: CapturedTable): string {
    return `${this.prefix}_log_${table.id}`;
  }
}

function isVirtual(sql: string): boolean {
  return /^\s*CREATE\s+VIRTUAL\b/i.test(sql);
}

function isWithoutRowid(sql: string): boolean {
  const words = tokenize(sql, "sqlite")
    .filter((token) => !isTrivia(token.kind))
    .map((token) => sql.slice(token.start, token.end).toUpperCase());
  const close = words.lastIndexOf(")");
  return words
    .slice(close + 1)
    .join(" ")
    .includes("WITHOUT ROWID");
}
