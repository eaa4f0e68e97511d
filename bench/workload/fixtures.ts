import type { EntityManager } from "typeorm";
import { TABLES, relationName, type TableName } from "./bench-schema";

/** Where the fixture rows are: the first id of every table, and how many rows each table got. */
export interface FixtureIds {
  readonly first: Readonly<Record<TableName, number>>;
  readonly perTable: number;
}

// Below every engine's limit on bound parameters per statement (SQLite 32,766; Postgres 65,535).
const ROWS_PER_INSERT = 250;

/**
 * Creates `totalRows` fixture rows spread evenly over the 20 tables, in multi-row INSERTs (the
 * fast way a suite would load them). Each row references a row of every table it depends on.
 */
export async function loadFixtures(manager: EntityManager, totalRows: number): Promise<FixtureIds> {
  const perTable = Math.max(1, Math.floor(totalRows / TABLES.length));
  const first = {} as Record<TableName, number>;
  for (const table of TABLES) {
    const rows = Array.from({ length: perTable }, (_, i) => {
      const row: Record<string, unknown> = { name: `${table.name} ${i}`, amount: i * 7, note: i % 3 === 0 ? null : `fixture ${i}` };
      for (const target of table.references) row[relationName(target)] = { id: first[target] + (i % perTable) };
      return row;
    });
    const ids: number[] = [];
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const result = await manager.insert(table.name, rows.slice(start, start + ROWS_PER_INSERT));
      for (const identifier of result.identifiers) ids.push(Number(identifier.id));
    }
    first[table.name] = Math.min(...ids);
  }
  return { first, perTable };
}
