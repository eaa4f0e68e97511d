import type { DataSource, EntityManager, ReplicationMode, Repository, SaveOptions } from "typeorm";
import type { BenchRow, TableName } from "./bench-schema";
import type { FixtureIds } from "./fixtures";

/** What a benchmarked test does, given the DataSource under test, the fixtures and the test's number. */
export type TestBody = (dataSource: DataSource, fixtures: FixtureIds, testNumber: number) => Promise<void>;

/** A named test body, as the results report it. */
export interface NamedBody {
  readonly key: string;
  readonly title: string;
  readonly run: TestBody;
}

function fixtureId(fixtures: FixtureIds, table: TableName, testNumber: number): number {
  return fixtures.first[table] + (testNumber % fixtures.perTable);
}

function rows(manager: EntityManager, table: TableName): Repository<BenchRow> {
  return manager.getRepository<BenchRow>(table);
}

/** Reads through a runner of its own, as application code that asks for a replica (or the master) does. */
async function readThrough<T>(dataSource: DataSource, mode: ReplicationMode, read: (manager: EntityManager) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner(mode);
  try {
    return await read(runner.manager);
  } finally {
    await runner.release();
  }
}

function expectRow(row: unknown, what: string): void {
  if (!row) throw new Error(`The test body could not read back ${what}: the strategy under test lost a write.`);
}

/**
 * 5 saves (through the master, each in the transaction TypeORM's save() opens unless `saveOptions`
 * say otherwise) and 5 reads, of which 3 go through a replica runner and 2 through the master,
 * alternating. Two replica reads read back rows the test just wrote.
 */
function realistic(saveOptions?: SaveOptions): TestBody {
  return async (dataSource, fixtures, testNumber) => {
    const pick = (table: TableName) => ({ id: fixtureId(fixtures, table, testNumber) });
    const manager = dataSource.manager;
    const row = (what: string) => ({ name: `${what} ${testNumber}`, amount: testNumber, note: "written by the test" });
    const task = await rows(manager, "Task").save({ ...row("task"), milestone: pick("Milestone"), member: pick("Member") }, saveOptions);
    await rows(manager, "Comment").save({ ...row("comment"), task: { id: task.id }, member: pick("Member") }, saveOptions);
    const order = await rows(manager, "PurchaseOrder").save({ ...row("order"), customer: pick("Customer") }, saveOptions);
    await rows(manager, "OrderLine").save({ ...row("line"), purchaseOrder: { id: order.id }, product: pick("Product") }, saveOptions);
    await rows(manager, "Review").save({ ...row("review"), product: pick("Product"), customer: pick("Customer") }, saveOptions);
    await readBack(dataSource, pick, task, order);
  };
}

/** The 5 reads of the realistic body; `task` and `order` are rows the test just wrote. */
async function readBack(
  dataSource: DataSource,
  pick: (table: TableName) => { id: number },
  task: BenchRow,
  order: BenchRow,
): Promise<void> {
  const readTask = await readThrough(dataSource, "slave", (m) =>
    rows(m, "Task").findOne({ where: { id: task.id }, relations: ["milestone"] }),
  );
  expectRow(readTask, "the task");
  const comments = await readThrough(dataSource, "master", (m) => rows(m, "Comment").find({ where: { task: { id: task.id } } }));
  expectRow(comments[0], "the comment");
  const readOrder = await readThrough(dataSource, "slave", (m) =>
    rows(m, "PurchaseOrder").findOne({ where: { id: order.id }, relations: ["customer"] }),
  );
  expectRow(readOrder, "the order");
  const lines = await readThrough(dataSource, "master", (m) => rows(m, "OrderLine").count({ where: { purchaseOrder: { id: order.id } } }));
  if (lines !== 1) throw new Error(`Expected 1 order line, read ${lines}.`);
  const products = await readThrough(dataSource, "slave", (m) =>
    rows(m, "Product").find({ where: { category: pick("Category") }, take: 10 }),
  );
  expectRow(products[0], "the fixture products");
}

export const realisticBody = realistic();

/**
 * The realistic body with `save(…, { transaction: false })`: no transaction of its own per save.
 * Not a body tests should have; it separates what per-save transactions cost from the rest.
 */
export const realisticBodyWithoutSaveTransactions: NamedBody = {
  key: "realistic-without-save-transactions",
  title: "5 saves with { transaction: false } + 5 reads",
  run: realistic({ transaction: false }),
};

/** A read-only test: one SELECT of a fixture row, routed as the application routes reads. */
export const oneSelectBody: TestBody = async (dataSource, fixtures, testNumber) => {
  const product = await rows(dataSource.manager, "Product").findOneBy({ id: fixtureId(fixtures, "Product", testNumber) });
  expectRow(product, "a fixture product");
};

/** The bodies every strategy runs. */
export const BODIES: readonly NamedBody[] = [
  { key: "realistic", title: "5 saves + 5 reads (3 through replicas)", run: realisticBody },
  { key: "one-select", title: "one SELECT", run: oneSelectBody },
];
