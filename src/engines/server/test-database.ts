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

/** Refuses, before any statement, a database that is not provably a test database. */
export function guardTestDatabase(database: string, prefix: string): void {
  if (process.env.NODE_ENV === "production") {
    throw new UnsafeTestDatabaseError(
      database,
      'NODE_ENV is "production". Tests never run against production; unset NODE_ENV or set it to "test".',
    );
  }
  if (prefix.length === 0) {
    throw new UnsafeTestDatabaseError(
      database,
      'testDatabasePrefix is empty. Use a prefix such as "test_" so a test database can never be a real one.',
    );
  }
  if (!database.startsWith(prefix) || database.length === prefix.length) {
    throw new UnsafeTestDatabaseError(
      database,
      `its name does not start with "${prefix}". Only databases named "${prefix}<name>" are used (and created) for tests.`,
    );
  }
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

/** Forgets that a test database was prepared and its schemas created (after it was dropped). */
export function forgetTestDatabase(key: string): void {
  prepared.delete(key);
  for (const schema of schemas) if (schema.startsWith(`${key}|`)) schemas.delete(schema);
}
