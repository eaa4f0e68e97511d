import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { UnsupportedColumnDefaultError } from "../errors/unsupported-column-default-error";
import type { ColumnPlan } from "./column-planner";
import type { ProductionDialect } from "./production-profile";

/** A version 4 uuid, lowercase: the engine's `gen_random_uuid()`. */
const UUID_V4_SQL =
  "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || " +
  "substr('89ab', 1 + (random() & 3), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))";

const NOW =
  /^(now\(\s*\d*\s*\)|current_timestamp(\(\s*\d*\s*\))?|localtimestamp(\(\s*\d*\s*\))?|transaction_timestamp\(\)|statement_timestamp\(\)|clock_timestamp\(\)|datetime\('now'\))$/;
const CURRENT_TIME = /^(current_time(\(\s*\d*\s*\))?|localtime(\(\s*\d*\s*\))?|curtime\(\s*\d*\s*\))$/;
const CURRENT_DATE = /^(current_date(\(\))?|curdate\(\))$/;
const UUID = /^(gen_random_uuid\(\)|uuid_generate_v4\(\)|uuid\(\))$/;
const STRING_LITERAL = /^'((?:[^']|'')*)'((?:\s*::\s*[\w ."]+(?:\[\])*)*)$/;
const NUMBER_LITERAL = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?((?:\s*::\s*[\w ."]+(?:\[\])*)*)$/i;
const ARRAY_CONSTRUCTOR = /^array\s*\[(.*?)\]((?:\s*::\s*[\w ."]+(?:\[\])*)*)$/is;

/** A SQLite literal for an engine value, for `DEFAULT` clauses. */
function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  if (Buffer.isBuffer(value)) return `X'${value.toString("hex")}'`;
  return `'${String(value).replace(/'/g, "''")}'`;
}

const TEXT_STORAGE: readonly string[] = ["varchar", "character", "text"];

function stripParentheses(expression: string): string {
  let text = expression.trim();
  while (text.startsWith("(") && text.endsWith(")") && balanced(text.slice(1, -1))) text = text.slice(1, -1).trim();
  return text;
}

function balanced(text: string): boolean {
  let depth = 0;
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")" && --depth < 0) return false;
  }
  return depth === 0;
}

/** Splits `'a', 'b,c', 3` at top-level commas. */
function splitList(text: string): string[] {
  const items: string[] = [];
  let current = "";
  let quoted = false;
  for (const char of text) {
    if (char === "'") quoted = !quoted;
    if (char === "," && !quoted) {
      items.push(current.trim());
      current = "";
    } else current += char;
  }
  if (current.trim() !== "") items.push(current.trim());
  return items;
}

/** True when the column's default is a uuid-generating function (`gen_random_uuid()`, `UUID()`, …). */
export function hasUuidDefault(column: ColumnMetadata): boolean {
  return typeof column.default === "function" && UUID.test(stripParentheses(String(column.default())).toLowerCase());
}

/**
 * Translates a column's `default` into the engine's DDL expression: literals through the column's
 * codec (so they are stored exactly as written values are), time and uuid functions into SQLite
 * expressions producing the same storage format. The result is deterministic, so the schema
 * reader finds the same text again and `synchronize()` sees no change.
 * @throws UnsupportedColumnDefaultError for expressions with no engine equivalent.
 */
export function translateDefault(column: ColumnMetadata, plan: ColumnPlan, dialect: ProductionDialect): string | undefined {
  const value = column.default;
  if (value === undefined || value === null) {
    // Postgres declares @Generated("uuid") columns with a uuid default, so raw inserts get one too.
    const generatedUuid = dialect === "postgres" && column.isGenerated && column.generationStrategy === "uuid";
    return generatedUuid && TEXT_STORAGE.includes(plan.storage) ? UUID_V4_SQL : undefined;
  }
  const codec = plan.codec;
  const literal = (canonical: unknown) => sqlLiteral(codec.store(canonical));
  const fromText = (text: string) => literal(codec.fromSqlText ? codec.fromSqlText(text) : codec.normalize(text));
  if (typeof value === "string") return fromText(value);
  if (typeof value !== "function") return literal(codec.normalize(value));

  const declared = String(value());
  const expression = stripParentheses(declared);
  const lower = expression.toLowerCase().replace(/\s+/g, " ");
  const fail = (reason: string) => new UnsupportedColumnDefaultError(plan.ref.entity, plan.ref.column, declared, reason);

  if (NOW.test(lower) || CURRENT_TIME.test(lower) || CURRENT_DATE.test(lower)) return timeExpression(lower, plan, dialect, fail);
  if (UUID.test(lower)) {
    if (!TEXT_STORAGE.includes(plan.storage)) throw fail(`it generates a uuid, but the column stores ${plan.productionType}.`);
    return UUID_V4_SQL;
  }
  if (lower === "null") return "NULL";
  if (lower === "true" || lower === "false") return literal(codec.normalize(lower === "true"));
  const string = STRING_LITERAL.exec(expression);
  if (string) return fromText(string[1]!.replace(/''/g, "'"));
  if (NUMBER_LITERAL.test(expression)) return fromText(expression.replace(/::.*$/s, "").trim());
  const array = ARRAY_CONSTRUCTOR.exec(expression);
  if (array) {
    const items = splitList(array[1]!).map((item) => {
      const quoted = STRING_LITERAL.exec(item);
      return quoted ? quoted[1]!.replace(/''/g, "'") : item.replace(/::.*$/s, "").trim();
    });
    return literal(codec.normalize(items));
  }
  throw fail("it is not a literal or a supported function.");
}

function timeExpression(lower: string, plan: ColumnPlan, dialect: ProductionDialect, fail: (reason: string) => Error): string {
  if (CURRENT_DATE.test(lower)) {
    if (plan.storage === "date") return "date('now')";
    throw fail(`it is a date, but the column stores ${plan.productionType}.`);
  }
  // The value has the precision of the column or of the function, whichever is smaller: MySQL's
  // bare CURRENT_TIMESTAMP has whole seconds, Postgres' now() microseconds.
  const explicit = /\(\s*(\d+)\s*\)$/.exec(lower);
  const functionPrecision = lower === "datetime('now')" ? 0 : explicit ? Number(explicit[1]) : dialect === "mysql" ? 0 : 6;
  const wholeSeconds = Math.min(functionPrecision, plan.fractionalSeconds ?? 6) === 0;
  if (plan.storage === "datetime" && NOW.test(lower)) return wholeSeconds ? "datetime('now')" : "strftime('%Y-%m-%d %H:%M:%f', 'now')";
  if (plan.storage === "time") return wholeSeconds ? "time('now')" : "strftime('%H:%M:%f', 'now')";
  if (plan.storage === "date" && NOW.test(lower)) return "date('now')";
  throw fail(`it is a time, but the column stores ${plan.productionType}.`);
}
