import type { DataSource, EntityManager } from "typeorm";

/**
 * Runs reads on the primary instead of a replica. Use it to read back what this request just
 * wrote: a replica replays the primary's writes a little later, so reading there right after a
 * write can return the old row (read-your-writes).
 */
export async function readFromPrimary<T>(dataSource: DataSource, read: (manager: EntityManager) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner("master");
  try {
    return await read(runner.manager);
  } finally {
    await runner.release();
  }
}
