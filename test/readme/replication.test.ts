// #region replication
import { expect } from "chai";
import { ReplicaWriteError, assertQueries, useTransactionalTests, type SharedQueryRunner } from "../../src";
import { User } from "./app";
import { testDataSource } from "./test-data-source";

describe("replication semantics", () => {
  useTransactionalTests(testDataSource);

  it("should route reads to replicas round-robin and writes to the master", async () => {
    const users = testDataSource.getRepository(User);
    await assertQueries(testDataSource, { master: 1, slave: 2 }, async () => {
      await users.insert({ name: "dave" });
      await users.findOneByOrFail({ name: "dave" });
      await users.count();
    });
    const reads = testDataSource.queryLog.entries().filter((q) => q.role === "slave" && !q.internal);
    expect(reads.slice(-2).map((q) => q.replicaIndex)).to.have.members([0, 1]);
  });

  it("should reject writes through a replica runner, as production replicas do", async () => {
    const replica: SharedQueryRunner = testDataSource.createQueryRunner("slave");
    try {
      await replica.query("DELETE FROM user");
      expect.fail("the replica accepted a write");
    } catch (error) {
      expect(error).to.be.instanceOf(ReplicaWriteError);
    } finally {
      await replica.release();
    }
  });
});
// #endregion replication
