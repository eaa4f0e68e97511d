import { InvalidSettingsError } from "../errors/invalid-settings-error";
import type { DataSource } from "typeorm";
import { QueryAssertionError, type ExpectedQueries } from "../errors/query-assertion-error";
import { SharedReplicationError } from "../errors/shared-replication-error";
import type { QueryLogEntry } from "../query-log/query-log-entry";
import { SharedReplicationDataSource } from "../data-source/shared-replication-data-source";

/** Options of {@link assertNumQueries} and {@link assertQueries}. */
export interface QueryAssertionOptions {
  /**
   * Count transaction control statements (BEGIN, COMMIT, SAVEPOINT, …) too.
   * The default value is `false`: only data statements (SELECT, INSERT, UPDATE, DELETE, DDL, …).
   */
  readonly includeTransactionControl?: boolean;
}

function counted(queries: readonly QueryLogEntry[], options: QueryAssertionOptions): QueryLogEntry[] {
  return queries.filter((q) => !q.internal && (options.includeTransactionControl || q.kind === "data"));
}

function sharedDataSource(dataSource: DataSource): SharedReplicationDataSource {
  if (dataSource instanceof SharedReplicationDataSource) return dataSource;
  throw new SharedReplicationError("Query assertions need a SharedReplicationDataSource: only it records the statements and their roles.");
}

/**
 * Runs `fn` and checks how many statements it caused, by role: `master`, `slave` (replicas) and
 * `total`; roles left out are not checked. Statements from every async context count (HTTP
 * handlers included); the test harness's own statements never do.
 *
 * @returns what `fn` returned.
 * @throws QueryAssertionError listing every captured statement with its role and replica.
 * @example
 * ```ts
 * await assertQueries(dataSource, { master: 1, slave: 1 }, () => service.renameAndReload(id, "bob"));
 * ```
 */
export async function assertQueries<T>(
  dataSource: DataSource,
  expected: ExpectedQueries,
  fn: () => T | Promise<T>,
  options: QueryAssertionOptions = {},
): Promise<Awaited<T>> {
  checkExpected(expected);
  const { result, queries } = await sharedDataSource(dataSource).queryLog.capture(fn);
  const statements = counted(queries, options);
  const actual = {
    master: statements.filter((q) => q.role === "master").length,
    slave: statements.filter((q) => q.role === "slave").length,
    total: statements.length,
  };
  const mismatch = (Object.keys(expected) as (keyof ExpectedQueries)[]).some((role) => expected[role] !== actual[role]);
  if (mismatch) throw new QueryAssertionError(expected, actual, statements);
  return result;
}

/**
 * Runs `fn` and checks that it caused exactly `count` statements (any role); Django's
 * `assertNumQueries`.
 *
 * @example
 * ```ts
 * await assertNumQueries(dataSource, 1, () => users.findOneBy({ id }));
 * ```
 */
export function assertNumQueries<T>(
  dataSource: DataSource,
  count: number,
  fn: () => T | Promise<T>,
  options: QueryAssertionOptions = {},
): Promise<Awaited<T>> {
  return assertQueries(dataSource, { total: count }, fn, options);
}

/** Expected counts are non-negative integers, by `master`, `slave` or `total`, and at least one of them. */
function checkExpected(expected: unknown): asserts expected is ExpectedQueries {
  const keys = typeof expected === "object" && expected !== null ? Object.keys(expected) : [];
  const valid = keys.length > 0 && keys.every((key) => ["master", "slave", "total"].includes(key));
  const counts =
    valid &&
    keys.every(
      (key) => Number.isInteger((expected as Record<string, unknown>)[key]) && ((expected as Record<string, number>)[key] as number) >= 0,
    );
  if (!counts) {
    throw new InvalidSettingsError(
      "expected",
      expected,
      "expected statement counts such as { master: 1, slave: 2 } or { total: 3 }: non-negative integers by master, slave or total.",
    );
  }
}
