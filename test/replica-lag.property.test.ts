import { expect } from "chai";
import fc from "fast-check";
import { createTestDataSource } from "../ormconfig.test";
import { TestIsolation, type SharedQueryRunner, type SharedReplicationDataSource } from "../src";
import { PGLITE_START_TIMEOUT } from "./support/fidelity-engines";
import { LAG_ENGINES, rowsOnReplica } from "./support/lag-engines";
import { Item } from "./fixtures/item-entity";

/**
 * Random flows of master writes, application commits and rollbacks, nested transactions, syncs
 * and replica reads, checked against a model of what each replica must show: the master's
 * committed prefix as of the replica's last sync, never work still open, never work rolled back.
 */
type Command =
  | { readonly op: "insert" }
  | { readonly op: "update"; readonly pick: number }
  | { readonly op: "delete"; readonly pick: number }
  | { readonly op: "begin" }
  | { readonly op: "commit" }
  | { readonly op: "rollback" }
  | { readonly op: "sync"; readonly replica: number | undefined }
  | { readonly op: "read"; readonly replica: number };

const REPLICAS = 2;
const replica = fc.nat(REPLICAS - 1);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Command>({ op: "insert" }) },
  fc.nat().map<Command>((pick) => ({ op: "update", pick })),
  fc.nat().map<Command>((pick) => ({ op: "delete", pick })),
  { weight: 2, arbitrary: fc.constant<Command>({ op: "begin" }) },
  { weight: 2, arbitrary: fc.constant<Command>({ op: "commit" }) },
  fc.constant<Command>({ op: "rollback" }),
  fc.option(replica, { nil: undefined }).map<Command>((index) => ({ op: "sync", replica: index })),
  { weight: 3, arbitrary: replica.map<Command>((index) => ({ op: "read", replica: index })) },
);

/** Rows by id, as a map from id to value. */
type Rows = Map<number, number>;

/**
 * What the master has committed (one snapshot per commit) and what each replica has applied. A
 * transaction that wrote is a commit, even if its writes cancel out (an insert and its delete).
 */
class Model {
  /** The master's rows as each transaction frame (outermost first) sees them; [0] is the committed state. */
  private readonly frames: Rows[] = [new Map()];
  /** Whether each frame wrote. */
  private readonly wrote: boolean[] = [false];
  private readonly commits: Rows[] = [new Map()];
  readonly applied: number[] = Array.from({ length: REPLICAS }, () => 0);

  get depth(): number {
    return this.frames.length - 1;
  }

  get current(): Rows {
    return this.frames[this.frames.length - 1]!;
  }

  write(change: (rows: Rows) => void): void {
    change(this.current);
    this.wrote[this.depth] = true;
    if (this.depth === 0) this.commit();
  }

  begin(): void {
    this.frames.push(new Map(this.current));
    this.wrote.push(false);
  }

  end(commit: boolean): void {
    const top = this.frames.pop()!;
    const wrote = this.wrote.pop()!;
    if (!commit) return;
    this.frames[this.frames.length - 1] = top;
    this.wrote[this.depth] ||= wrote;
    if (this.depth === 0) this.commit();
  }

  sync(index: number | undefined): void {
    for (let i = 0; i < REPLICAS; i++) if (index === undefined || index === i) this.applied[i] = this.commits.length - 1;
  }

  onReplica(index: number): number[] {
    return sorted(this.commits[this.applied[index]!]!);
  }

  behind(index: number): number {
    return this.commits.length - 1 - this.applied[index]!;
  }

  private commit(): void {
    if (this.wrote[0]) this.commits.push(new Map(this.frames[0]!));
    this.wrote[0] = false;
  }
}

function sorted(rows: Rows): number[] {
  return [...rows.values()].sort((a, b) => a - b);
}

for (const { name, engine } of LAG_ENGINES)
  describe(`${name}: replica lag: random flows against a model`, function () {
    this.timeout(PGLITE_START_TIMEOUT);
    let dataSource: SharedReplicationDataSource;
    let isolation: TestIsolation;

    before(async () => {
      dataSource = createTestDataSource({ engine, replicaLag: "manual", replicas: REPLICAS }, { entities: [Item] });
      isolation = new TestIsolation(dataSource);
      await isolation.beginGroup();
    });
    after(() => isolation.endGroup());

    it("should show each replica the master's committed prefix as of its last sync, and nothing after the test", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
          const testId = await isolation.beginTest();
          const model = new Model();
          const runner = dataSource.createQueryRunner("master");
          let nextValue = 1;
          try {
            for (const step of commands) await run(step, runner, model, () => nextValue++);
            while (model.depth > 0) {
              await runner.rollbackTransaction();
              model.end(false);
            }
          } finally {
            await runner.release();
            await isolation.endTest(testId);
          }
          // The test's end puts every replica back at the group's (empty) state.
          await isolation.beginTest();
          try {
            for (let i = 0; i < REPLICAS; i++) expect(await readReplica(dataSource, i)).to.deep.equal([]);
          } finally {
            await isolation.endTest();
          }
        }),
        { numRuns: 300 },
      );
    });
  });

async function run(step: Command, runner: SharedQueryRunner, model: Model, nextValue: () => number): Promise<void> {
  const ids = [...model.current.keys()].sort((a, b) => a - b);
  const picked = (pick: number) => ids[pick % ids.length];
  switch (step.op) {
    case "insert": {
      const value = nextValue();
      const result = await runner.manager.getRepository(Item).insert({ value });
      const id = Number(result.identifiers[0]!.id);
      model.write((rows) => rows.set(id, value));
      return;
    }
    case "update": {
      const id = picked(step.pick);
      if (id === undefined) return;
      const value = nextValue();
      await runner.manager.getRepository(Item).update(id, { value });
      model.write((rows) => rows.set(id, value));
      return;
    }
    case "delete": {
      const id = picked(step.pick);
      if (id === undefined) return;
      await runner.manager.getRepository(Item).delete(id);
      model.write((rows) => rows.delete(id));
      return;
    }
    case "begin":
      await runner.startTransaction();
      model.begin();
      return;
    case "commit":
    case "rollback":
      if (model.depth === 0) return;
      if (step.op === "commit") await runner.commitTransaction();
      else await runner.rollbackTransaction();
      model.end(step.op === "commit");
      return;
    case "sync":
      await runner.connection.manager.connection.query("SELECT 1"); // a statement between, as an application would send
      await (runner.connection as SharedReplicationDataSource).syncReplicas(step.replica);
      model.sync(step.replica);
      return;
    case "read": {
      const dataSource = runner.connection as SharedReplicationDataSource;
      expect(await readReplica(dataSource, step.replica), `replica ${step.replica}`).to.deep.equal(model.onReplica(step.replica));
      const entry = dataSource.queryLog
        .entries()
        .reverse()
        .find((logged) => logged.role === "slave" && !logged.internal);
      expect(entry?.commitsBehind, `commits replica ${step.replica} is behind`).to.equal(model.behind(step.replica));
      return;
    }
  }
}

async function readReplica(dataSource: SharedReplicationDataSource, index: number): Promise<number[]> {
  const rows = (await rowsOnReplica(dataSource, index, "SELECT value FROM item ORDER BY value")) as { value: number }[];
  return rows.map((row) => Number(row.value));
}
