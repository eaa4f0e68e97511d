import { expect } from "chai";
import type { DataSourceOptions } from "typeorm";
import { createTestDataSource, productionOptions } from "../ormconfig.test";
import { ReplicaWriteError, type SharedReplicationDataSource, type SharedReplicationSettings } from "../src";
import { rejectionOf } from "./support/capture-error";
import { Author } from "./fixtures/blog-entities";

const { replication } = productionOptions as { replication: { master: object; slaves: object[] } };

/** The application's replication shapes, and what TypeORM's Postgres and MySQL drivers do with each. */
const shapes: {
  what: string;
  options: Partial<DataSourceOptions>;
  settings?: SharedReplicationSettings;
  replicated: boolean;
  replicas: number;
}[] = [
  { what: "no replication", options: { replication: undefined } as never, replicated: false, replicas: 0 },
  { what: "replication with no slaves", options: { replication: { ...replication, slaves: [] } } as never, replicated: true, replicas: 0 },
  {
    what: "no replication and replicas: 0 in the settings",
    options: { replication: undefined } as never,
    settings: { replicas: 0 },
    replicated: false,
    replicas: 0,
  },
];

describe("replica routing as TypeORM's driver does it", () => {
  for (const shape of shapes) {
    describe(`an application with ${shape.what}`, () => {
      let dataSource: SharedReplicationDataSource;

      beforeEach(async () => {
        dataSource = createTestDataSource(shape.settings, shape.options);
        await dataSource.initialize();
      });

      afterEach(async () => {
        if (dataSource.isInitialized) await dataSource.destroy();
      });

      it(`should report driver.isReplicated ${shape.replicated} and ${shape.replicas} replicas`, () => {
        expect(dataSource.driver.isReplicated).to.equal(shape.replicated);
        expect(dataSource.replicaCount).to.equal(shape.replicas);
      });

      it("should serve slave runners from the master: writes through them succeed and are read back", async () => {
        const slave = dataSource.createQueryRunner("slave");
        try {
          expect(slave.getReplicationMode()).to.equal("slave");
          expect(slave.replicaIndex).to.equal(undefined);
          await slave.manager.getRepository(Author).insert({ name: "through a slave runner" });
          await slave.query(`UPDATE author SET name = 'renamed' WHERE name = 'through a slave runner'`);
        } finally {
          await slave.release();
        }
        const master = dataSource.createQueryRunner("master");
        try {
          expect(await master.manager.getRepository(Author).findOneBy({ name: "renamed" })).to.include({ name: "renamed" });
        } finally {
          await master.release();
        }
      });

      it("should route repository reads to slave runners served by the master, as the query log shows", async () => {
        await dataSource.getRepository(Author).save({ name: "alice" });
        const captured = await dataSource.queryLog.capture(() => dataSource.getRepository(Author).find());
        const reads = captured.queries.filter((entry) => entry.kind === "data");
        expect(reads.map((entry) => [entry.role, entry.replicaIndex])).to.deep.equal([["slave", undefined]]);
      });
    });
  }

  describe("an application without replication that simulates replicas (replicas: 2)", () => {
    let dataSource: SharedReplicationDataSource;

    beforeEach(async () => {
      dataSource = createTestDataSource({ replicas: 2 }, { replication: undefined } as never);
      await dataSource.initialize();
    });

    afterEach(async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
    });

    it("should route slave runners to the simulated replicas and refuse writes through them", async () => {
      expect(dataSource.driver.isReplicated).to.equal(true);
      const slave = dataSource.createQueryRunner("slave");
      try {
        expect(slave.replicaIndex).to.equal(0);
        expect(await rejectionOf(slave.manager.getRepository(Author).insert({ name: "x" }))).to.be.instanceOf(ReplicaWriteError);
      } finally {
        await slave.release();
      }
    });
  });
});
