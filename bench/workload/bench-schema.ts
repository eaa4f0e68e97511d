import { EntitySchema } from "typeorm";

/** One row of any benchmark table: every entity has the same columns plus its relations. */
export interface BenchRow {
  id: number;
  name: string;
  amount: number;
  note: string | null;
  createdAt: Date;
  [relation: string]: unknown;
}

/**
 * The benchmark's schema: 20 tables of an ordinary business application, each with a generated
 * key, three data columns, a creation timestamp and one or two many-to-one relations. Listed so
 * that every table comes after the tables it references (fixtures are loaded in this order).
 */
export const TABLES = [
  { name: "Organization", references: [] },
  { name: "Team", references: ["Organization"] },
  { name: "Member", references: ["Team"] },
  { name: "Profile", references: ["Member"] },
  { name: "Project", references: ["Organization"] },
  { name: "Milestone", references: ["Project"] },
  { name: "Task", references: ["Milestone", "Member"] },
  { name: "Comment", references: ["Task", "Member"] },
  { name: "Attachment", references: ["Comment"] },
  { name: "Tag", references: ["Organization"] },
  { name: "Customer", references: ["Organization"] },
  { name: "Address", references: ["Customer"] },
  { name: "Category", references: ["Organization"] },
  { name: "Product", references: ["Category"] },
  { name: "Review", references: ["Product", "Customer"] },
  { name: "PurchaseOrder", references: ["Customer"] },
  { name: "OrderLine", references: ["PurchaseOrder", "Product"] },
  { name: "Invoice", references: ["PurchaseOrder"] },
  { name: "Payment", references: ["Invoice"] },
  { name: "Shipment", references: ["PurchaseOrder", "Address"] },
] as const;

export type TableName = (typeof TABLES)[number]["name"];

/** The relation property that points from a row to a row of `table`: `organization`, `purchaseOrder`, … */
export function relationName(table: TableName): string {
  return table[0]!.toLowerCase() + table.slice(1);
}

function entitySchema(table: (typeof TABLES)[number]): EntitySchema<BenchRow> {
  const relations = Object.fromEntries(
    table.references.map((target) => [
      relationName(target),
      { type: "many-to-one" as const, target, nullable: false, onDelete: "CASCADE" as const },
    ]),
  );
  return new EntitySchema<BenchRow>({
    name: table.name,
    columns: {
      id: { type: Number, primary: true, generated: "increment" },
      name: { type: "varchar", length: 120 },
      amount: { type: "integer" },
      note: { type: "text", nullable: true },
      createdAt: { type: Date, createDate: true },
    },
    relations,
  });
}

/** The 20 entity schemas, in {@link TABLES} order. */
export const benchEntities: EntitySchema<BenchRow>[] = TABLES.map(entitySchema);
