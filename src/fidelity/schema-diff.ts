import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import type { TableColumn } from "typeorm/schema-builder/table/TableColumn";

/** The driver methods the comparison asks, already wrapped by the fidelity layer. */
export interface SchemaDriver {
  normalizeType(column: unknown): string;
  normalizeDefault(column: ColumnMetadata): string | undefined;
  getColumnLength(column: ColumnMetadata): string;
  normalizeIsUnique(column: ColumnMetadata): boolean;
}

function sameEnum(table: TableColumn, column: ColumnMetadata): boolean {
  if (!table.enum || !column.enum) return true;
  const expected = column.enum.map(String);
  return table.enum.length === expected.length && table.enum.every((value, index) => value === expected[index]);
}

/**
 * The columns whose table definition differs from the entity, compared the way TypeORM's SQLite
 * driver compares them, but against what the fidelity layer declares: the storage type and the
 * length or precision written into the DDL (not the production type's), and SQLite's
 * AUTOINCREMENT only where the column is the rowid alias. So `synchronize()` on an unchanged
 * schema finds nothing to change.
 */
export function findChangedColumns(driver: SchemaDriver, tableColumns: TableColumn[], columns: ColumnMetadata[]): ColumnMetadata[] {
  return columns.filter((column) => {
    const table = tableColumns.find((candidate) => candidate.name === column.databaseName);
    if (!table) return false;
    const type = driver.normalizeType(column);
    const precision = type === "numeric" ? (column.precision ?? undefined) : undefined;
    const scale = precision !== undefined ? column.scale : undefined;
    const autoIncrement = column.isGenerated && column.generationStrategy === "increment";
    return (
      table.type !== type ||
      (table.length || "") !== (driver.getColumnLength(column) || "") ||
      (table.precision ?? undefined) !== precision ||
      (table.scale ?? undefined) !== scale ||
      driver.normalizeDefault(column) !== table.default ||
      table.isPrimary !== column.isPrimary ||
      table.isNullable !== column.isNullable ||
      table.generatedType !== column.generatedType ||
      table.asExpression !== column.asExpression ||
      table.isUnique !== driver.normalizeIsUnique(column) ||
      !sameEnum(table, column) ||
      (column.generationStrategy !== "uuid" && table.isGenerated !== autoIncrement)
    );
  });
}
