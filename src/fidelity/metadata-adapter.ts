import type { DataSource } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { UnsupportedColumnDefaultError } from "../errors/unsupported-column-default-error";
import { isRowidKey, type ColumnPlanner } from "./column-planner";
import { hasUuidDefault } from "./default-expression";

const TIMESTAMP_ON_UPDATE = /^(current_timestamp|now|localtimestamp)(\(\s*\d*\s*\))?$/i;

/** The strategy marking generated integer columns numbered by a {@link SequenceRegistry}. */
export const SEQUENCE_STRATEGY = "identity";

// ColumnMetadata declares no "identity" strategy, though TypeORM's Postgres driver uses it.
type MutableColumn = Omit<ColumnMetadata, "generationStrategy"> & { generationStrategy?: string };

/**
 * Adjusts this DataSource's own entity metadata (built per DataSource, never shared) where the
 * engine needs a different mechanism for the same behaviour:
 * - collations that give production's comparisons (`citext`, `uuid`, MySQL's `_ci` text);
 * - generated integers: the single-column key becomes SQLite's rowid alias, every other one is
 *   numbered by a sequence, since SQLite only autoincrements `INTEGER PRIMARY KEY`;
 * - uuid-function defaults (`gen_random_uuid()`, `UUID()`) become `@Generated("uuid")`, so
 *   TypeORM knows the key after an insert as it does with `RETURNING` in production;
 * - MySQL `onUpdate: "CURRENT_TIMESTAMP"` behaves as an update-date column.
 */
export function adaptMetadata(dataSource: DataSource, planner: ColumnPlanner): void {
  for (const entity of dataSource.entityMetadatas) {
    for (const column of entity.columns as MutableColumn[]) {
      if (column.isVirtualProperty) continue;
      const plan = planner.planOf(column as ColumnMetadata);
      if (plan) column.collation = plan.collation;
      adaptGeneration(column);
      if (planner.profile.dialect === "mysql") adaptOnUpdate(column);
    }
  }
}

function adaptGeneration(column: MutableColumn): void {
  const strategy = column.generationStrategy;
  if (column.isGenerated && (strategy === "increment" || strategy === "identity" || strategy === "rowid")) {
    column.generationStrategy = isRowidKey(column as ColumnMetadata) ? "increment" : SEQUENCE_STRATEGY;
    return;
  }
  if (column.isGenerated || !hasUuidDefault(column as ColumnMetadata)) return;
  column.isGenerated = true;
  column.generationStrategy = "uuid";
  const entity = column.entityMetadata;
  if (!entity.generatedColumns.includes(column as ColumnMetadata)) entity.generatedColumns.push(column as ColumnMetadata);
  entity.hasUUIDGeneratedColumns = true;
}

function adaptOnUpdate(column: MutableColumn): void {
  if (!column.onUpdate || column.isUpdateDate) return;
  const entity = column.entityMetadata;
  if (TIMESTAMP_ON_UPDATE.test(column.onUpdate.trim()) && !entity.updateDateColumn) {
    column.isUpdateDate = true;
    entity.updateDateColumn = column as ColumnMetadata;
    return;
  }
  throw new UnsupportedColumnDefaultError(
    entity.name,
    column.propertyPath,
    `ON UPDATE ${column.onUpdate}`,
    "only one ON UPDATE CURRENT_TIMESTAMP column per entity is reproduced (as an update-date column).",
  );
}
