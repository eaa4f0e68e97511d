import { expect } from "chai";
import { outcomes, runMocha } from "./support/run-mocha";

describe("the typeorm-transactional recipe", function () {
  this.timeout(60_000);

  // In a process of its own: initializeTransactionalContext() patches TypeORM for the whole process.
  it("should give @Transactional() REQUIRED, REQUIRES_NEW, NESTED and rollbacks their semantics inside transactional tests", async () => {
    const report = await runMocha("test/fixtures/typeorm-transactional/accounts.spec.ts");
    expect(report.failures.map((test) => `${test.fullTitle}: ${test.err.message}`)).to.deep.equal([]);
    expect(Object.keys(outcomes(report))).to.have.members([
      "should commit a REQUIRED transfer and its REQUIRES_NEW audit, visible to replica reads",
      "should roll a REQUIRED transfer back when it throws",
      "should roll back a REQUIRES_NEW transaction that throws and let the caller's go on",
      "should roll back a NESTED transaction that throws and keep the caller's work",
      "should start the next test with none of it",
      "should undo a committed REQUIRES_NEW audit when the caller then rolls back (production keeps it)",
      "should fail the direct addTransactionalDataSource(dataSource) form, which needs a class named DataSource",
    ]);
  });
});
