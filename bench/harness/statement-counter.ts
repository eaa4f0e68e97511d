import sqlite3 from "sqlite3";

type Method = (this: unknown, ...args: unknown[]) => unknown;

const SQLITE_METHODS = ["run", "all", "get", "each", "exec", "prepare"];

/** The prototypes whose methods send a statement to the database: sqlite3's Database and pg's Client. */
function driverPrototypes(): { prototype: Record<string, unknown>; methods: string[] }[] {
  // verbose() wraps sqlite3's methods once per process (TypeORM calls it): do it before counting, so the wrappers stay.
  sqlite3.verbose();
  const targets = [{ prototype: sqlite3.Database.prototype as unknown as Record<string, unknown>, methods: SQLITE_METHODS }];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require("pg") as { Client: { prototype: Record<string, unknown> } };
    targets.push({ prototype: pg.Client.prototype, methods: ["query"] });
  } catch {
    // No pg: nothing to count there.
  }
  return targets;
}

/**
 * How many statements `fn` sends to the database: calls into the driver packages (sqlite3, pg),
 * each one a round trip. Counted on a separate, untimed test, so counting costs no timed test anything.
 */
export async function countStatements(fn: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const restore: (() => void)[] = [];
  for (const { prototype, methods } of driverPrototypes()) {
    for (const name of methods) {
      const original = prototype[name] as Method;
      prototype[name] = function (this: unknown, ...args: unknown[]) {
        count++;
        return original.apply(this, args);
      };
      restore.push(() => (prototype[name] = original));
    }
  }
  try {
    await fn();
  } finally {
    for (const undo of restore) undo();
  }
  return count;
}
