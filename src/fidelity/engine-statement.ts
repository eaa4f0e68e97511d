import { applyEdits, type SqlEdit } from "../sql/sql-edit";
import { isTrivia, tokenize, type SqlToken } from "../sql/tokenizer";
import { lockEdits } from "./lock-clause";
import { positionalPlaceholders } from "./positional-placeholders";
import type { ProductionDialect } from "./production-profile";

/** A statement and its parameters as the engine runs them. */
export interface EngineStatement {
  readonly sql: string;
  readonly parameters: unknown[] | undefined;
}

const NOW_WITH_MILLISECONDS = "strftime('%Y-%m-%d %H:%M:%f', 'now')";

/** How one statement text becomes the engine's, whatever its parameters. */
interface StatementPlan {
  /** Without locking clauses, and (Postgres) with sub-second `CURRENT_TIMESTAMP` in updates. */
  readonly sql: string;
  /** Postgres: the same with its numbered placeholders anonymous, and the parameter each binds. */
  readonly positional?: { readonly sql: string; readonly order: readonly number[] };
}

// Applications send the same statement texts over and over; a plan costs one tokenization.
const PLAN_LIMIT = 512;
const PLANNABLE_LENGTH = 8_192;
const plans: Readonly<Record<ProductionDialect, Map<string, StatementPlan>>> = { postgres: new Map(), mysql: new Map() };

// What every edit of a plan needs in the text: FOR / LOCK (locking clauses and their markers),
// CURRENT_TIMESTAMP, or `$` (numbered placeholders). A statement with none is run as written,
// untokenized; words that merely contain them (FORMAT, BLOCK) only cost the tokenization.
const MAY_NEED_EDITS = /for|lock|current_timestamp|\$/i;

/**
 * The statement the engine runs for one written for production: without locking clauses (the
 * engine serialises writers, so the lock holds), and, for Postgres, with its numbered placeholders
 * bound by number and with sub-second `CURRENT_TIMESTAMP` in updates. TypeORM sets update- and
 * delete-date columns with `= CURRENT_TIMESTAMP`, which has microseconds in Postgres but whole
 * seconds in SQLite, so an update would seem to happen before the insert. (MySQL's
 * CURRENT_TIMESTAMP has whole seconds too, and MySQL's `?` placeholders are SQLite's.)
 */
export function engineStatement(sql: string, parameters: unknown[] | undefined, dialect: ProductionDialect): EngineStatement {
  const plan = planOf(sql, dialect);
  if (!plan) return { sql, parameters };
  const positional = plan.positional;
  if (positional && parameters && parameters.length > 0 && positional.order.every((index) => index < parameters.length)) {
    return { sql: positional.sql, parameters: positional.order.map((index) => parameters[index]) };
  }
  return { sql: plan.sql, parameters };
}

/** The plan of `sql`; `undefined` when it runs as written (one-off texts stay out of the cache: SQLite's TypeORM writes numbers into its INSERTs). */
function planOf(sql: string, dialect: ProductionDialect): StatementPlan | undefined {
  const cache = plans[dialect];
  let plan = cache.get(sql);
  if (plan) return plan;
  if (!MAY_NEED_EDITS.test(sql)) return undefined;
  plan = makePlan(sql, dialect);
  if (sql.length <= PLANNABLE_LENGTH) {
    if (cache.size >= PLAN_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(sql, plan);
  }
  return plan;
}

function makePlan(sql: string, dialect: ProductionDialect): StatementPlan {
  const tokens = tokenize(sql, dialect);
  const edits = lockEdits(sql, tokens);
  if (dialect !== "postgres") return { sql: applyEdits(sql, edits) };
  edits.push(...currentTimestampEdits(sql, tokens));
  const placeholders = positionalPlaceholders(sql, tokens);
  const plan = { sql: applyEdits(sql, edits) };
  if (!placeholders) return plan;
  return { ...plan, positional: { sql: applyEdits(sql, [...edits, ...placeholders.edits]), order: placeholders.order } };
}

/** In an UPDATE, each `CURRENT_TIMESTAMP` after `=` (`<=`, …) and not called as a function: SQLite's with milliseconds. */
function currentTimestampEdits(sql: string, tokens: readonly SqlToken[]): SqlEdit[] {
  const significant = tokens.filter((token) => !isTrivia(token.kind));
  const word = (token: SqlToken | undefined) => (token?.kind === "word" ? sql.slice(token.start, token.end).toUpperCase() : "");
  if (word(significant[0]) !== "UPDATE") return [];
  const edits: SqlEdit[] = [];
  for (let i = 1; i < significant.length; i++) {
    const before = significant[i - 1]!;
    if (word(significant[i]) !== "CURRENT_TIMESTAMP" || before.kind !== "operator" || sql[before.end - 1] !== "=") continue;
    const after = significant[i + 1];
    if (after && sql.slice(after.start, after.end) === "(") continue;
    edits.push({ start: significant[i]!.start, end: significant[i]!.end, text: NOW_WITH_MILLISECONDS });
  }
  return edits;
}
