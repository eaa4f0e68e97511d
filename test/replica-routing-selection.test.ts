import { expect } from "chai";
import { DataSource, type DataSourceOptions } from "typeorm";
import { createTestDataSource } from "../ormconfig.test";
import {
  IncompatibleTypeOrmError,
  InvalidReplicaIndexError,
  InvalidRoutingOptionError,
  installReplicaRouting,
  usePrimary,
  type ReplicaSelectionContext,
  type SharedReplicationDataSource,
} from "../src";
import { Author } from "./fixtures/blog-entities";
import { rejectionOf } from "./support/capture-error";
import { servedBy } from "./support/routing";

describe("replica selection on a SharedReplicationDataSource", () => {
  let dataSource: SharedReplicationDataSource;

  beforeEach(async () => {
    dataSource = createTestDataSource();
    await dataSource.initialize();
  });

  afterEach(async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
  });

  /** Who served each of `n` repository reads, from the query log. */
  async function serversOfReads(n: number): Promise<string[]> {
    const authors = dataSource.getRepository(Author);
    const { queries } = await dataSource.queryLog.capture(async () => {
      for (let i = 0; i < n; i++) await authors.findOneBy({ name: `read-${i}` });
    });
    return queries.filter((q) => q.kind === "data").map(servedBy);
  }

  it("should have routing built in: installReplicaRouting returns it, the same every time", () => {
    const routing = installReplicaRouting(dataSource);
    expect(installReplicaRouting(dataSource)).to.equal(routing);
    expect(routing.replicaCount).to.equal(2);
    expect(routing.replicasDown).to.deep.equal([]);
  });

  it("should choose replicas round-robin by default", async () => {
    expect(await serversOfReads(4)).to.deep.equal(["replica 0", "replica 1", "replica 0", "replica 1"]);
  });

  it("should choose uniformly among the replicas in rotation with select: random", async () => {
    installReplicaRouting(dataSource, { select: "random" });
    const served = await serversOfReads(60);
    expect(new Set(served)).to.deep.equal(new Set(["replica 0", "replica 1"]));
    installReplicaRouting(dataSource).markReplicaDown(0);
    expect(new Set(await serversOfReads(10))).to.deep.equal(new Set(["replica 1"]));
  });

  it("should ask a selector function, with the replicas in rotation and the read's sequence number", async () => {
    const calls: { replicas: readonly number[]; context: ReplicaSelectionContext }[] = [];
    const routing = installReplicaRouting(dataSource, {
      select: (replicas, context) => {
        calls.push({ replicas: [...replicas], context });
        return replicas[replicas.length - 1]!;
      },
    });
    expect(await serversOfReads(2)).to.deep.equal(["replica 1", "replica 1"]);
    routing.markReplicaDown(1);
    expect(await serversOfReads(1)).to.deep.equal(["replica 0"]);
    expect(calls).to.deep.equal([
      { replicas: [0, 1], context: { replicaCount: 2, sequence: 0 } },
      { replicas: [0, 1], context: { replicaCount: 2, sequence: 1 } },
      { replicas: [0], context: { replicaCount: 2, sequence: 2 } },
    ]);
  });

  it("should not ask the selector for reads sent to the primary", async () => {
    let asked = 0;
    installReplicaRouting(dataSource, { select: (replicas) => (asked++, replicas[0]!) });
    await usePrimary(() => dataSource.getRepository(Author).count());
    expect(asked).to.equal(0);
  });

  it("should throw InvalidReplicaIndexError from the read when a selector returns an index it was not given", async () => {
    const routing = installReplicaRouting(dataSource, { select: () => 2 });
    const error = await rejectionOf(dataSource.getRepository(Author).count());
    expect(error).to.be.instanceOf(InvalidReplicaIndexError).and.include({ index: 2, count: 2, source: "select" });
    routing.markReplicaDown(0);
    routing.select(() => 0);
    expect(await rejectionOf(dataSource.getRepository(Author).count()))
      .to.be.instanceOf(InvalidReplicaIndexError)
      .and.include({ index: 0 });
  });

  it("should reject an unknown strategy with InvalidRoutingOptionError, keeping the one it had", async () => {
    expect(() => installReplicaRouting(dataSource, { select: "fastest" as never })).to.throw(InvalidRoutingOptionError, /"select"/);
    expect(() => installReplicaRouting(dataSource).select(3 as never)).to.throw(InvalidRoutingOptionError);
    expect(await serversOfReads(2)).to.deep.equal(["replica 0", "replica 1"]);
  });

  it("should take replicas out of rotation and bring them back; with none left, the master serves", async () => {
    const routing = installReplicaRouting(dataSource);
    routing.markReplicaDown(0);
    routing.markReplicaDown(0);
    expect(routing.replicasDown).to.deep.equal([0]);
    expect(await serversOfReads(3)).to.deep.equal(["replica 1", "replica 1", "replica 1"]);
    routing.markReplicaDown(1);
    const { queries } = await dataSource.queryLog.capture(() => dataSource.getRepository(Author).count());
    expect(queries.map((q) => [q.role, q.replicaIndex])).to.deep.equal([["slave", undefined]]);
    routing.markReplicaUp(0);
    routing.markReplicaUp(1);
    expect(routing.replicasDown).to.deep.equal([]);
    expect(new Set(await serversOfReads(2))).to.deep.equal(new Set(["replica 0", "replica 1"]));
  });

  it("should reject replica indexes the DataSource does not have with InvalidReplicaIndexError", () => {
    const routing = installReplicaRouting(dataSource);
    for (const index of [2, -1, 0.5, Number.NaN]) {
      expect(() => routing.markReplicaDown(index), String(index)).to.throw(InvalidReplicaIndexError, /numbered 0 to 1/);
    }
    expect(() => routing.markReplicaUp(7))
      .to.throw(InvalidReplicaIndexError)
      .with.property("source", "markReplicaUp");
  });

  it("should route the replicas of a DataSource without replication nowhere: no replicas to mark", async () => {
    const single = createTestDataSource({}, { replication: undefined } as Partial<DataSourceOptions>);
    await single.initialize();
    try {
      const routing = installReplicaRouting(single, { select: "random" });
      expect(routing.replicaCount).to.equal(0);
      expect(() => routing.markReplicaDown(0)).to.throw(InvalidReplicaIndexError, /has 0 replicas/);
      const { queries } = await single.queryLog.capture(() => single.getRepository(Author).count());
      expect(queries.map((q) => q.replicaIndex)).to.deep.equal([undefined]);
    } finally {
      await single.destroy();
    }
  });
});

describe("installReplicaRouting on a plain TypeORM DataSource", () => {
  const replicated = {
    type: "postgres",
    replication: {
      master: { host: "127.0.0.1", username: "nobody", database: "never_connected" },
      slaves: [
        { host: "127.0.0.1", username: "nobody", database: "never_connected" },
        { host: "127.0.0.1", username: "nobody", database: "never_connected" },
      ],
    },
  } as DataSourceOptions;

  interface DriverInternals {
    createQueryRunner: unknown;
    obtainSlaveConnection: unknown;
  }
  const driverOf = (dataSource: DataSource) => dataSource.driver as unknown as DriverInternals;

  it("should patch that instance only, never a prototype, and only once", () => {
    const dataSource = new DataSource(replicated);
    const other = new DataSource(replicated);
    const prototype = Object.getPrototypeOf(dataSource.driver) as DriverInternals;
    const [create, obtain] = [prototype.createQueryRunner, prototype.obtainSlaveConnection];
    const routing = installReplicaRouting(dataSource);
    expect(Object.keys(dataSource.driver)).to.include.members(["createQueryRunner", "obtainSlaveConnection"]);
    expect([prototype.createQueryRunner, prototype.obtainSlaveConnection]).to.deep.equal([create, obtain]);
    expect(Object.keys(other.driver)).not.to.include.members(["createQueryRunner"]);
    const patched = driverOf(dataSource).createQueryRunner;
    expect(installReplicaRouting(dataSource, { select: "random" })).to.equal(routing);
    expect(driverOf(dataSource).createQueryRunner).to.equal(patched);
  });

  it("should turn replica runners into master runners inside usePrimary only", () => {
    const dataSource = new DataSource(replicated);
    installReplicaRouting(dataSource);
    expect(dataSource.createQueryRunner("slave").getReplicationMode()).to.equal("slave");
    expect(usePrimary(() => dataSource.createQueryRunner("slave").getReplicationMode())).to.equal("master");
  });

  it("should fail with IncompatibleTypeOrmError, patching nothing, when TypeORM's driver changed shape", () => {
    const dataSource = new DataSource(replicated);
    Object.assign(dataSource.driver, { obtainSlaveConnection: undefined });
    expect(() => installReplicaRouting(dataSource)).to.throw(IncompatibleTypeOrmError, /obtainSlaveConnection/);
    expect(Object.keys(dataSource.driver)).not.to.include("createQueryRunner");
    const noDriver = Object.create(DataSource.prototype) as DataSource;
    expect(() => installReplicaRouting(noDriver)).to.throw(IncompatibleTypeOrmError, /DataSource.driver/);
  });

  it("should be a no-op on a DataSource without replication", () => {
    const dataSource = new DataSource({ type: "postgres", host: "127.0.0.1", database: "never_connected" } as DataSourceOptions);
    const routing = installReplicaRouting(dataSource, { select: "random" });
    expect(routing.replicaCount).to.equal(0);
    expect(Object.keys(dataSource.driver)).not.to.include("obtainSlaveConnection");
  });

  it("should route usePrimary but refuse replica selection on a replicated driver that chooses replicas itself", () => {
    const options = { ...replicated, type: "cockroachdb" } as DataSourceOptions;
    expect(() => installReplicaRouting(new DataSource(options), { select: "random" })).to.throw(InvalidRoutingOptionError, /cockroachdb/);
    const dataSource = new DataSource(options);
    const routing = installReplicaRouting(dataSource);
    expect(() => routing.markReplicaDown(0)).to.throw(InvalidRoutingOptionError, /chooses replicas itself/);
    expect(usePrimary(() => dataSource.createQueryRunner("slave").getReplicationMode())).to.equal("master");
  });
});
