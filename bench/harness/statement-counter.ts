import sqlite3 from "sqlite3";

type Method = (this: unknown, ...args: unknown[]) => unknown;

// Every statement sqlite3 runs goes through one of these: `exec`, or a Statement's run (Database#all
// and the like prepare a Statement and call it; the engine calls its prepared ones directly).
const SQLITE_DATABASE_METHODS = ["exec"];
const SQLITE_STATEMENT_METHODS = ["run", "all", "get", "each"];

let counting = false;
let count = 0;

/**
 * Taps every driver method that runs a statement (sqlite3's `exec` and Statement methods, pg's
 * Client), counting while {@link countStatements} runs. Installed once, when this module loads:
 * before TypeORM's `verbose()` wraps sqlite3's methods (it wraps the taps) and before an engine
 * keeps sqlite3's own methods to call them without that wrapper (it keeps the taps), so every path
 * is counted.
 */
function installTaps(): void {
  const targets = [
    { prototype: sqlite3.Database.prototype as unknown as Record<string, unknown>, methods: SQLITE_DATABASE_METHODS },
    { prototype: sqlite3.Statement.prototype as unknown as Record<string, unknown>, methods: SQLITE_STATEMENT_METHODS },
  ];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require("pg") as { Client: { prototype: Record<string, unknown> } };
    targets.push({ prototype: pg.Client.prototype, methods: ["query"] });
  } catch {
    // No pg: nothing to count there.
  }
  for (const { prototype, methods } of targets) {
    for (const name of methods) {
      const original = prototype[name] as Method;
      prototype[name] = function (this: unknown, ...args: unknown[]) {
        if (counting) count++;
        return original.apply(this, args);
      };
    }
  }
}

installTaps();

/**
 * How many statements `fn` sends to the database: calls into the driver packages (sqlite3, pg),
 * each one a round trip. Counted on a separate, untimed test, so counting costs no timed test anything.
 */
export async function countStatements(fn: () => Promise<unknown>): Promise<number> {
  count = 0;
  counting = true;
  try {
    await fn();
  } finally {
    counting = false;
  }
  return count;
}
