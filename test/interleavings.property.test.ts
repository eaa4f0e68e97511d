import { expect } from "chai";
import fc from "fast-check";
import { createTestDataSource, testDatabase, testServer } from "../ormconfig.test";
import { TestEndedError, TestIsolation, type SharedQueryRunner, type SharedReplicationDataSource } from "../src";
import { internalsOf } from "../src/data-source/data-source-internals";
import { Item } from "./fixtures/item-entity";

/**
 * Random interleavings of async flows on one SharedReplicationDataSource, checked against a model
 * of which rows a read must and must not see. Each flow has its own master runner; it opens,
 * nests, commits and rolls back transactions, writes, reads through its own runner or through a
 * fresh replica runner, and yields to the others at random points.
 */
type Command =
  | { readonly op: "begin" }
  | { readonly op: "commit" }
  | { readonly op: "rollback" }
  | { readonly op: "insert" }
  | { readonly op: "nestedTransaction"; readonly commit: boolean }
  | { readonly op: "read"; readonly via: "own" | "replica" }
  | { readonly op: "raw"; readonly what: "begin" | "commit" | "rollback"; readonly spelling: number }
  | { readonly op: "yield"; readonly timer: boolean }
  | { readonly op: "release" };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.constant<Command>({ op: "begin" }),
  fc.constant<Command>({ op: "commit" }),
  fc.constant<Command>({ op: "rollback" }),
  fc.constant<Command>({ op: "insert" }),
  fc.boolean().map<Command>((commit) => ({ op: "nestedTransaction", commit })),
  fc.constantFrom<"own" | "replica">("own", "replica").map<Command>((via) => ({ op: "read", via })),
  fc.boolean().map<Command>((timer) => ({ op: "yield", timer })),
  fc.constant<Command>({ op: "release" }),
  fc
    .record({ what: fc.constantFrom<"begin" | "commit" | "rollback">("begin", "commit", "rollback"), spelling: fc.nat(2) })
    .map<Command>((raw) => ({ op: "raw", ...raw })),
);

/** Raw transaction control in spellings the application's database accepts (the MariaDB leg runs a MariaDB application). */
const family = testServer === "mariadb" ? "mysql" : "postgres";
const SPELLINGS: Record<"begin" | "commit" | "rollback", readonly string[]> =
  family === "mysql"
    ? {
        begin: ["BEGIN", "START TRANSACTION", "BEGIN WORK"],
        commit: ["COMMIT", "COMMIT WORK", "commit;"],
        rollback: ["ROLLBACK", "ROLLBACK WORK", "rollback;"],
      }
    : {
        begin: ["BEGIN", "START TRANSACTION", "BEGIN WORK"],
        commit: ["COMMIT", "END", "COMMIT TRANSACTION"],
        rollback: ["ROLLBACK", "ABORT", "ROLLBACK WORK"],
      };

// Raw SQL keeps the model independent of TypeORM; only the placeholder differs between engines.
const INSERT = `INSERT INTO item (value) VALUES (${testDatabase === "postgres" ? "$1" : "?"})`;

/** Status of every value ever inserted; "open" values belong to a flow's open frame. */
type Status = { state: "open"; flow: number } | { state: "committing" } | { state: "committed" } | { state: "gone" };

class Model {
  readonly status = new Map<number, Status>();
  private nextValue = 1;

  newValue(flow: number): number {
    const value = this.nextValue++;
    this.status.set(value, { state: "open", flow });
    return value;
  }

  snapshot(): Map<number, Status> {
    return new Map([...this.status].map(([value, status]) => [value, { ...status }]));
  }

  set(values: Iterable<number>, status: Status): void {
    for (const value of values) this.status.set(value, status);
  }
}

async function runFlow(dataSource: SharedReplicationDataSource, model: Model, flow: number, commands: readonly Command[]) {
  // TypeORM's documented manual-runner pattern: connect, then start the transaction. The await
  // gives the flow an async context of its own before it opens anything (see README, caveats).
  let runner: SharedQueryRunner = dataSource.createQueryRunner("master");
  await runner.connect();
  const frames: number[][] = [];

  const visibleToMe = () => new Set(frames.flat());
  const read = async (via: "own" | "replica") => {
    const before = model.snapshot();
    const reader = via === "own" ? runner : dataSource.createQueryRunner("slave");
    const rows = (await reader.query("SELECT value FROM item")) as { value: number }[];
    if (via === "replica") await reader.release();
    const after = model.snapshot();
    const seen = new Set(rows.map((row) => row.value));
    const mine = visibleToMe();
    for (const [value, status] of before) {
      if (status.state === "committed") expect(seen.has(value), `committed ${value} missing for flow ${flow}`).to.equal(true);
      if (status.state === "gone") expect(seen.has(value), `rolled-back ${value} visible to flow ${flow}`).to.equal(false);
    }
    for (const value of mine) expect(seen.has(value), `own ${value} missing for flow ${flow}`).to.equal(true);
    for (const value of seen) {
      const was = before.get(value);
      const is = after.get(value);
      const othersOpen = was?.state === "open" && was.flow !== flow && is?.state === "open";
      expect(othersOpen, `flow ${flow} saw ${value} of flow ${was?.state === "open" ? was.flow : "?"}'s open transaction`).to.equal(false);
    }
  };

  /** Raw BEGIN/COMMIT/ROLLBACK end or start the whole transaction, savepoints included, as on the server. */
  // Raw transaction control is not counted by TypeORM's runner: a transaction it opened is ended by raw control too.
  let rawOpen = false;
  const raw = async (what: "begin" | "commit" | "rollback", spelling: number) => {
    const sql = SPELLINGS[what][spelling]!;
    const all = frames.flat();
    if (what === "begin") {
      // Inside a transaction TypeORM's methods opened, raw BEGIN is left out: their state would go stale.
      if (frames.length > 0 && !rawOpen) return;
      // Postgres: a warning inside a transaction. MySQL: an implicit COMMIT first.
      if (frames.length > 0 && family === "postgres") return void (await runner.query(sql));
      if (frames.length > 0) model.set(all, { state: "committing" });
      await runner.query(sql);
      if (frames.length > 0) model.set(all, { state: "committed" });
      frames.length = 0;
      frames.push([]);
      rawOpen = true;
      return;
    }
    // A transaction TypeORM's methods opened is ended by them, not raw (their state would go stale).
    if (frames.length > 0 && !rawOpen) return;
    if (what === "rollback") {
      await runner.query(sql);
      model.set(all, { state: "gone" });
    } else {
      model.set(all, { state: "committing" });
      await runner.query(sql);
      model.set(all, { state: "committed" });
    }
    frames.length = 0;
    rawOpen = false;
  };

  const end = async (how: "commit" | "rollback") => {
    const values = frames.pop()!;
    if (how === "rollback") {
      await runner.rollbackTransaction();
      model.set(values, { state: "gone" });
      return;
    }
    if (frames.length > 0) {
      await runner.commitTransaction();
      frames[frames.length - 1]!.push(...values);
      return;
    }
    model.set(values, { state: "committing" });
    await runner.commitTransaction();
    model.set(values, { state: "committed" });
  };

  for (const step of commands) {
    switch (step.op) {
      case "begin":
        if (rawOpen) break;
        await runner.startTransaction();
        frames.push([]);
        break;
      case "commit":
      case "rollback":
        if (rawOpen) await raw(step.op, 0);
        else if (frames.length > 0) await end(step.op);
        break;
      case "insert": {
        const value = model.newValue(flow);
        if (frames.length === 0) model.set([value], { state: "committing" });
        await runner.query(INSERT, [value]);
        if (frames.length === 0) model.set([value], { state: "committed" });
        else frames[frames.length - 1]!.push(value);
        break;
      }
      case "nestedTransaction": {
        const value = model.newValue(flow);
        const inner = dataSource.transaction(async (manager) => {
          await manager.query(INSERT, [value]);
          if (!step.commit) throw new Error("roll back");
          if (frames.length === 0) model.set([value], { state: "committing" });
        });
        await inner.catch(() => undefined);
        if (!step.commit) model.set([value], { state: "gone" });
        else if (frames.length === 0) model.set([value], { state: "committed" });
        else frames[frames.length - 1]!.push(value);
        break;
      }
      case "read":
        await read(step.via);
        break;
      case "raw":
        await raw(step.what, step.spelling);
        break;
      case "yield":
        await (step.timer ? new Promise((resolve) => setTimeout(resolve, 0)) : new Promise((resolve) => setImmediate(resolve)));
        break;
      case "release":
        if (rawOpen) await raw("rollback", 0);
        while (frames.length > 0) await end("rollback");
        await runner.release();
        runner = dataSource.createQueryRunner("master");
        await runner.connect();
        break;
    }
  }
  if (rawOpen) await raw("commit", 0);
  while (frames.length > 0) await end("commit");
  await read("replica");
  await runner.release();
}

describe("random interleavings of flows (property)", () => {
  let dataSource: SharedReplicationDataSource;

  before(async () => {
    dataSource = createTestDataSource({ queryLogSize: 0, connectionWaitTimeout: 2000 }, { entities: [Item] });
    await dataSource.initialize();
  });

  after(() => dataSource.destroy());

  it("should match the visibility model in at least 1,000 runs", async function () {
    this.timeout(120_000);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(command, { maxLength: 10 }), { minLength: 2, maxLength: 4 }), async (flows) => {
        await dataSource.query("DELETE FROM item");
        const model = new Model();
        await Promise.all(flows.map((commands, flow) => runFlow(dataSource, model, flow, commands)));
        const rows = (await dataSource.query("SELECT value FROM item ORDER BY value")) as { value: number }[];
        const committed = [...model.status].filter(([, s]) => s.state === "committed").map(([v]) => v);
        expect(rows.map((row) => row.value)).to.deep.equal(committed);
        const connection = internalsOf(dataSource)!.connection;
        // A server engine's session transaction stays open (ambient) for the DataSource's lifetime.
        expect(connection.openFrames.filter((frame) => !frame.ambient).length, "application frames open after every flow ended").to.equal(
          0,
        );
        expect(connection.lock.holder, "lease held after every flow ended").to.equal(undefined);
      }),
      { numRuns: 1000 },
    );
  });

  it("should match the model inside tests, and leave only the group's rows after each test's rollback", async function () {
    this.timeout(120_000);
    const isolation = new TestIsolation(dataSource);
    await dataSource.query("DELETE FROM item");
    await isolation.beginGroup();
    // Group-level rows (hooks outside a test) get values far from the model's.
    const groupRows: number[] = [];
    const tableValues = async () =>
      ((await dataSource.query("SELECT value FROM item ORDER BY value")) as { value: number }[]).map((row) => row.value);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(command, { maxLength: 10 }), { minLength: 1, maxLength: 3 }),
          fc.boolean(),
          fc.nat(40),
          async (flows, groupWrite, lateTurns) => {
            if (groupWrite) {
              groupRows.push(1_000_000 + groupRows.length);
              await dataSource.query(INSERT, [groupRows.at(-1)]);
            }
            const testId = await isolation.beginTest();
            let late: Promise<unknown> | undefined;
            try {
              const model = new Model();
              await isolation.runInTest(testId, async () => {
                // Work the test starts and does not await: it runs inside the test or fails once the test ended, never later.
                late = (async () => {
                  for (let turn = 0; turn < lateTurns; turn++) await new Promise((resolve) => setImmediate(resolve));
                  await dataSource.query(INSERT, [2_000_000 + testId]);
                })().catch((error: unknown) => {
                  if (!(error instanceof TestEndedError)) throw error;
                });
                await Promise.all(flows.map((commands, flow) => runFlow(dataSource, model, flow, commands)));
              });
              const committed = [...model.status].filter(([, s]) => s.state === "committed").map(([v]) => v);
              expect((await tableValues()).filter((value) => value !== 2_000_000 + testId)).to.deep.equal([...committed, ...groupRows]);
            } catch (error) {
              // Shrinking runs the property again: leave no test open behind a failed run.
              await isolation.endTest().catch(() => undefined);
              throw error;
            }
            await isolation.endTest();
            await late;
            expect(await tableValues(), "rows after the test's rollback").to.deep.equal(groupRows);
          },
        ),
        { numRuns: 500 },
      );
    } finally {
      await isolation.endGroup();
    }
    expect(await tableValues()).to.deep.equal([]);
  });
});
