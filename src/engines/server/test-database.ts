import { UnsafeTestDatabaseError } from "../../errors/unsafe-test-database-error";

/** Worker id of a parallel test run (mocha --parallel, Jest, Vitest), if any. */
export function parallelWorkerId(): string | undefined {
  return process.env.MOCHA_WORKER_ID ?? process.env.JEST_WORKER_ID ?? process.env.VITEST_POOL_ID;
}

/** `test_<name>`, or `<name>` if it already has the prefix. */
export function testDatabaseName(base: string, prefix: string): string {
  return base.startsWith(prefix) ? base : `${prefix}${base}`;
}

/** The database of one parallel worker, `<name>_<worker>`; `name` itself outside parallel runs. */
export function workerDatabaseName(name: string, worker: string | undefined): string {
  return worker === undefined ? name : `${name}_${worker}`;
}

/**
 * Why `prefix` cannot mark test databases, or `undefined` when it can: it must start with `test`
 * and end with `_` or `-`, so that no real database whose name merely starts with "test"
 * ("testimonials") passes for a test database.
 */
export function unsafePrefixReason(prefix: unknown): string | undefined {
  if (typeof prefix !== "string" || prefix.length === 0) return 'testDatabasePrefix is empty. Use a prefix such as "test_".';
  if (!/^test/i.test(prefix) || !/[_-]$/.test(prefix)) {
    return (
      `testDatabasePrefix ${JSON.stringify(prefix)} does not start with "test" and end with "_" or "-". ` +
      'Use "test_" (the default) or a longer one such as "test_ci_", so a test database can never be a real database.'
    );
  }
  return undefined;
}

/** Refuses, before any statement, a database that is not provably a test database. */
export function guardTestDatabase(database: string, prefix: string): void {
  if (process.env.NODE_ENV === "production") {
    throw new UnsafeTestDatabaseError(
      database,
      'NODE_ENV is "production". Tests never run against production; unset NODE_ENV or set it to "test".',
    );
  }
  const prefixProblem = unsafePrefixReason(prefix);
  if (prefixProblem) throw new UnsafeTestDatabaseError(database, prefixProblem);
  if (!database.startsWith(prefix) || database.length === prefix.length) {
    throw new UnsafeTestDatabaseError(
      database,
      `its name does not start with "${prefix}". Only databases named "${prefix}<name>" are used (and created) for tests.`,
    );
  }
}

/** Where a connection goes: what the driver resolved from its options, or what the server says. */
export interface ConnectionTarget {
  readonly database: string | undefined;
  /** `undefined` when it is not known (the server's answer names no host). */
  readonly host?: string | undefined;
  readonly port?: number | undefined;
}

/**
 * Refuses a connection the driver is about to open, or has just opened, unless it goes to the
 * engine's test database on the engine's server. Whatever changed the options after the engine set
 * them (`dataSource.setOptions()`, a `url`, `extra`, the driver's environment variables) is caught
 * here, at every connect and reconnect.
 */
export function guardConnectionTarget(
  expected: { readonly database: string; readonly host: string; readonly port: number },
  actual: ConnectionTarget,
  prefix: string,
  when: string,
): void {
  const database = actual.database ?? "(none)";
  guardTestDatabase(expected.database, prefix);
  const wrong: string[] = [];
  if (actual.database !== expected.database) wrong.push(`database "${database}" instead of "${expected.database}"`);
  if (actual.host !== undefined && actual.host !== expected.host) wrong.push(`host "${actual.host}" instead of "${expected.host}"`);
  if (actual.port !== undefined && actual.port !== expected.port) wrong.push(`port ${actual.port} instead of ${expected.port}`);
  if (wrong.length === 0) return;
  throw new UnsafeTestDatabaseError(
    database,
    `${when} goes to ${wrong.join(", ")}, not to the test database the engine settings name. Something changed the connection options after the ` +
      `engine set them (dataSource.setOptions(), a url, extra, or the driver's environment variables such as PGDATABASE). ` +
      `Leave where the database is to the engine setting.`,
  );
}

const prepared = new Map<string, Promise<void>>();

/**
 * Creates the test database once per process: dropped and recreated on first use, or kept
 * (`keep`) and only created if missing. Later calls in the process wait for the first one.
 */
export function prepareTestDatabaseOnce(key: string, prepare: () => Promise<void>): Promise<void> {
  let preparing = prepared.get(key);
  if (!preparing) {
    preparing = prepare();
    prepared.set(key, preparing);
    preparing.catch(() => prepared.delete(key));
  }
  return preparing;
}

const schemas = new Set<string>();

/**
 * Runs `create` unless a schema for the same tables was already created in this persistent
 * database by this process. `databaseKey` is `undefined` for in-memory engines: always create.
 */
export async function createSchemaOnce(
  databaseKey: string | undefined,
  tables: readonly string[],
  create: () => Promise<void>,
): Promise<void> {
  const key = databaseKey === undefined ? undefined : `${databaseKey}|${tables.join(",")}`;
  if (key !== undefined && schemas.has(key)) return;
  await create();
  if (key !== undefined) schemas.add(key);
}

const openConnections = new Map<string, number>();

/** A physical connection to the test database `key` was opened (`+1`) or closed (`-1`) in this process; returns how many are open. */
export function countOpenConnection(key: string, change: 1 | -1): number {
  const count = (openConnections.get(key) ?? 0) + change;
  if (count > 0) openConnections.set(key, count);
  else openConnections.delete(key);
  return Math.max(count, 0);
}

/** Forgets that a test database was prepared and its schemas created (after it was dropped). */
export function forgetTestDatabase(key: string): void {
  prepared.delete(key);
  for (const schema of schemas) if (schema.startsWith(`${key}|`)) schemas.delete(schema);
}
