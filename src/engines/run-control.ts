import { QueryFailedError, type QueryRunner } from "typeorm";

// `Engine.runControl` for drivers whose connections share a shape: the connection the runner is
// on, asked directly, its failures reported as TypeORM's query() reports them.

/** SQLite drivers whose `exec` is synchronous (better-sqlite3, sql.js). */
export function runOnSyncSqlite(runner: QueryRunner, sql: string): Promise<void> {
  const database = (runner as unknown as { driver: { databaseConnection: { exec(sql: string): unknown } } }).driver.databaseConnection;
  try {
    database.exec(sql);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(new QueryFailedError(sql, undefined, error as Error));
  }
}

/** `pg` clients (a Postgres server, PGlite through its `pg` adapter). */
export async function runOnPgClient(runner: QueryRunner, sql: string): Promise<void> {
  const client = (await runner.connect()) as { query(sql: string): Promise<unknown> };
  try {
    await client.query(sql);
  } catch (error) {
    throw new QueryFailedError(sql, undefined, error as Error);
  }
}

/** `mysql2` connections. */
export async function runOnMysqlConnection(runner: QueryRunner, sql: string): Promise<void> {
  const connection = (await runner.connect()) as { query(sql: string, callback: (error: Error | null) => void): unknown };
  await new Promise<void>((resolve, reject) => {
    connection.query(sql, (error) => (error ? reject(new QueryFailedError(sql, undefined, error)) : resolve()));
  });
}
