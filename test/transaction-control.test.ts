import { expect } from "chai";
import { AsyncResource } from "node:async_hooks";
import { QueryFailedError, type DataSourceOptions } from "typeorm";
import { createTestDataSource, productionOptions, testServer } from "../ormconfig.test";
import { testCombination } from "./support/test-combination";
import { SharedReplicationDataSource, TestIsolation, TransactionAbortedError, UnsupportedSqlError } from "../src";
import { readTransactionControl } from "../src/sql/transaction-control";
import { Item } from "./fixtures/item-entity";
import { rejectionOf } from "./support/capture-error";

const family = testServer === "mariadb" ? "mysql" : "postgres";

/** Spellings of each family's transaction control, from its server's documentation. */
const BEGINS: Record<"postgres" | "mysql", string[]> = {
  postgres: [
    "BEGIN",
    "BEGIN WORK",
    "BEGIN TRANSACTION",
    "BEGIN ISOLATION LEVEL READ COMMITTED",
    "START TRANSACTION",
    "START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE",
    "begin;",
  ],
  mysql: [
    "BEGIN",
    "BEGIN WORK",
    "START TRANSACTION",
    "START TRANSACTION READ WRITE",
    "START TRANSACTION WITH CONSISTENT SNAPSHOT",
    "begin;",
  ],
};
const COMMITS: Record<"postgres" | "mysql", string[]> = {
  postgres: ["COMMIT", "COMMIT WORK", "COMMIT TRANSACTION", "END", "END TRANSACTION", "END WORK", "commit;", "/* app */ COMMIT"],
  mysql: ["COMMIT", "COMMIT WORK", "COMMIT AND NO CHAIN", "commit;", "/* app */ COMMIT"],
};
const ROLLBACKS: Record<"postgres" | "mysql", string[]> = {
  postgres: ["ROLLBACK", "ROLLBACK WORK", "ROLLBACK TRANSACTION", "ABORT", "ABORT TRANSACTION", "rollback;"],
  mysql: ["ROLLBACK", "ROLLBACK WORK", "rollback;"],
};

describe(`transaction control in every ${family} spelling`, () => {
  let dataSource: SharedReplicationDataSource;
  let isolation: TestIsolation;
  const count = async () => Number(((await dataSource.query("SELECT count(*) AS n FROM item")) as { n: number | string }[])[0]!.n);

  before(async () => {
    dataSource = createTestDataSource({}, { entities: [Item] });
    isolation = new TestIsolation(dataSource);
    await isolation.beginGroup();
  });

  after(async () => {
    await isolation.endGroup();
  });

  beforeEach(async () => {
    await isolation.beginTest();
  });

  afterEach(async () => {
    await isolation.endTest();
    // Never the test's transaction: whatever the application committed is gone after the test.
    expect(await count()).to.equal(0);
  });

  for (const begin of BEGINS[family]) {
    for (const commit of COMMITS[family]) {
      it(`should run ${JSON.stringify(begin)} … ${JSON.stringify(commit)} as the application's own transaction`, async () => {
        const runner = dataSource.createQueryRunner();
        // Bound before BEGIN, so the read runs in a flow of its own and waits for the application's transaction.
        const readInAnotherFlow = AsyncResource.bind(() => dataSource.getRepository(Item).count());
        try {
          await runner.query(begin);
          await runner.query("INSERT INTO item (value) VALUES (1)");
          const otherFlow = readInAnotherFlow();
          const order: string[] = [];
          void otherFlow.then(() => order.push("read"));
          await new Promise((resolve) => setTimeout(resolve, 5));
          order.push("commit");
          await runner.query(commit);
          await otherFlow;
          expect(order).to.deep.equal(["commit", "read"]);
        } finally {
          await runner.release();
        }
        expect(await count()).to.equal(1);
      });
    }
  }

  for (const rollback of ROLLBACKS[family]) {
    it(`should roll the application's transaction back on ${JSON.stringify(rollback)}, and only that`, async () => {
      await dataSource.query("INSERT INTO item (value) VALUES (1)");
      const runner = dataSource.createQueryRunner();
      try {
        await runner.query("BEGIN");
        await runner.query("INSERT INTO item (value) VALUES (2)");
        await runner.query(rollback);
      } finally {
        await runner.release();
      }
      expect(await count()).to.equal(1);
    });
  }

  it("should commit the whole transaction on a raw COMMIT, savepoints included, as the server does", async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.startTransaction();
      await runner.query("INSERT INTO item (value) VALUES (1)");
      await runner.query("COMMIT");
      // TypeORM's own runner does not see a raw COMMIT either: its state still says a transaction is open.
      expect(runner.isTransactionActive).to.equal(true);
      // The connection is free: another flow writes without waiting for anything.
      await AsyncResource.bind(() => dataSource.getRepository(Item).insert({ value: 2 }))();
    } finally {
      await runner.release();
    }
    expect(await count()).to.equal(2);
  });

  for (const name of ["typeorm_shared_1", '"typeorm_shared_1"', "TYPEORM_SHARED_2"]) {
    it(`should refuse the harness's own savepoint name ${name} with UnsupportedSqlError`, async () => {
      await dataSource.query("INSERT INTO item (value) VALUES (1)");
      for (const sql of [`SAVEPOINT ${name}`, `RELEASE SAVEPOINT ${name}`, `ROLLBACK TO SAVEPOINT ${name}`]) {
        expect(await rejectionOf(dataSource.query(sql)), sql).to.be.instanceOf(UnsupportedSqlError);
      }
    });
  }

  for (const sql of [
    "COMMIT; SELECT 1",
    "ROLLBACK; SELECT 1",
    "BEGIN; INSERT INTO item (value) VALUES (9); COMMIT",
    "COMMIT PREPARED 'x'",
    "ROLLBACK TRANSACTION TO",
  ]) {
    it(`should refuse ${JSON.stringify(sql)}, never running it on the engine where it could end the test's transaction`, async () => {
      await dataSource.query("INSERT INTO item (value) VALUES (1)");
      const error = await rejectionOf(dataSource.query(sql));
      expect(error).to.satisfy((e: unknown) => e instanceof UnsupportedSqlError || e instanceof QueryFailedError);
      expect(await count()).to.equal(1);
    });
  }

  for (const end of ["COMMIT", "ROLLBACK"]) {
    it(`should treat ${end} with no transaction as ${family} does: nothing ends, nothing fails`, async () => {
      await dataSource.query("INSERT INTO item (value) VALUES (1)");
      await dataSource.query(end);
      expect(await count()).to.equal(1);
    });
  }

  for (const [end, kept] of [
    ["COMMIT AND CHAIN", 1],
    ["ROLLBACK AND CHAIN", 0],
  ] as const) {
    it(`should begin a new transaction of the application's on ${end}, as ${family} does`, async () => {
      const runner = dataSource.createQueryRunner();
      try {
        await runner.query("BEGIN");
        await runner.query("INSERT INTO item (value) VALUES (1)");
        await runner.query(end);
        await runner.query("INSERT INTO item (value) VALUES (2)");
        // The chained transaction is open: rolled back, its insert is gone, the first transaction's outcome stays.
        await runner.query("ROLLBACK");
      } finally {
        await runner.release();
      }
      expect(await count()).to.equal(kept);
    });
  }

  it(`should treat COMMIT AND CHAIN with no transaction as ${family} does`, async () => {
    await dataSource.query("INSERT INTO item (value) VALUES (1)");
    if (family === "postgres") {
      const error = await rejectionOf(dataSource.query("COMMIT AND CHAIN"));
      expect(error).to.be.instanceOf(QueryFailedError);
      expect((error as { driverError?: { code?: string } }).driverError?.code).to.equal("25P01");
    } else await dataSource.query("COMMIT AND CHAIN");
    await dataSource.query("INSERT INTO item (value) VALUES (2)");
    expect(await count()).to.equal(2);
  });

  for (const spelling of family === "mysql" ? ["END", "ABORT", "BEGIN TRANSACTION"] : ["START TRANSACTION WITH CONSISTENT SNAPSHOT"]) {
    it(`should refuse ${JSON.stringify(spelling)}, which ${family} does not accept, as a syntax error`, async () => {
      const error = await rejectionOf(dataSource.query(spelling));
      expect(error).to.be.instanceOf(QueryFailedError);
    });
  }
});

describe("reading transaction control", () => {
  const cases: [string, "postgres" | "mysql" | "sqlite", string | undefined, boolean][] = [
    ["BEGIN DEFERRED TRANSACTION", "sqlite", "begin", true],
    ["BEGIN IMMEDIATE", "sqlite", "begin", true],
    ["BEGIN EXCLUSIVE", "postgres", "begin", false],
    ["END TRANSACTION", "sqlite", "commit", true],
    ["END", "mysql", "commit", false],
    ["ABORT", "sqlite", "rollback", false],
    ["ROLLBACK TO SAVEPOINT a", "postgres", "rollback-to", true],
    ["ROLLBACK WORK TO a", "mysql", "rollback-to", true],
    ["RELEASE a", "mysql", "release", false],
    ["RELEASE a", "postgres", "release", true],
    ["SAVEPOINT a", "sqlite", "savepoint", true],
    ["COMMIT; DELETE FROM item", "postgres", undefined, false],
    ["END IF", "postgres", undefined, false],
    ["BEGIN; SELECT 1", "postgres", undefined, false],
  ];
  for (const [sql, family, kind, accepted] of cases) {
    it(`should read ${JSON.stringify(sql)} in ${family} as ${kind ?? "not transaction control"}${kind ? (accepted ? ", accepted" : ", refused") : ""}`, () => {
      const reading = readTransactionControl(sql, family);
      expect(reading?.control.kind).to.equal(kind);
      if (reading) expect(reading.accepted).to.equal(accepted);
    });
  }
});

describe("a failed statement inside a transaction", () => {
  const applications: [string, DataSourceOptions][] = [
    ["a Postgres application on SQLite", { type: "postgres", entities: [Item] }],
    ["a MySQL application on SQLite", { type: "mysql", entities: [Item] }],
  ];
  for (const [what, options] of applications) {
    describe(what, () => {
      let dataSource: SharedReplicationDataSource;
      const postgres = options.type === "postgres";

      beforeEach(async () => {
        // On SQLite, also in the PGlite leg: the emulated abort is what is tested.
        dataSource = await new SharedReplicationDataSource(options, { engine: testCombination.engine }).initialize();
      });

      afterEach(async () => {
        await dataSource.destroy();
      });

      const failing = "INSERT INTO no_such_table VALUES (1)";

      it(
        postgres
          ? "should abort the transaction: every later statement fails with 25P02 until it ends"
          : "should let the transaction go on, as MySQL does",
        async () => {
          const runner = dataSource.createQueryRunner();
          try {
            await runner.startTransaction();
            await runner.query("INSERT INTO item (value) VALUES (1)");
            await rejectionOf(runner.query(failing));
            const next = runner.query("SELECT count(*) AS n FROM item");
            if (postgres) {
              const error = await rejectionOf(next);
              expect(error).to.be.instanceOf(TransactionAbortedError).and.instanceOf(QueryFailedError);
              expect(error).to.have.property("code", "25P02");
              expect((error as Error).message).to.contain("current transaction is aborted");
            } else {
              expect(Number((await next)[0].n)).to.equal(1);
            }
            await runner.commitTransaction();
          } finally {
            await runner.release();
          }
          // Postgres' COMMIT of an aborted transaction rolls it back.
          expect(await dataSource.getRepository(Item).count()).to.equal(postgres ? 0 : 1);
        },
      );

      if (postgres) {
        it("should recover when the application rolls back to a savepoint taken before the failure", async () => {
          await dataSource.transaction(async (manager) => {
            await manager.insert(Item, { value: 1 });
            await manager
              .transaction(async (inner) => {
                await inner.query(failing);
              })
              .catch(() => undefined);
            await manager.insert(Item, { value: 2 });
          });
          expect((await dataSource.getRepository(Item).find({ order: { value: "ASC" } })).map((item) => item.value)).to.deep.equal([1, 2]);
        });

        it("should fail the commit of a nested transaction in an aborted one, as RELEASE does", async () => {
          const runner = dataSource.createQueryRunner();
          try {
            await runner.startTransaction();
            await runner.startTransaction();
            await rejectionOf(runner.query(failing));
            expect(await rejectionOf(runner.commitTransaction())).to.be.instanceOf(TransactionAbortedError);
            await runner.rollbackTransaction();
            await runner.query("INSERT INTO item (value) VALUES (3)");
            await runner.commitTransaction();
          } finally {
            await runner.release();
          }
          expect(await dataSource.getRepository(Item).count()).to.equal(1);
        });

        it("should not abort the transaction for a statement only the test engine cannot run", async () => {
          await dataSource.transaction(async (manager) => {
            await manager.insert(Item, { value: 1 });
            // Valid Postgres that SQLite rejects: production would not have failed, so nothing aborts.
            await rejectionOf(manager.query("SELECT 1::int AS one"));
            await manager.insert(Item, { value: 2 });
          });
          expect(await dataSource.getRepository(Item).count()).to.equal(2);
        });

        it("should refuse a SAVEPOINT after the failure, as Postgres does, so only an older savepoint recovers", async () => {
          const runner = dataSource.createQueryRunner();
          try {
            await runner.query("BEGIN");
            await rejectionOf(runner.query(failing));
            expect(await rejectionOf(runner.query("SAVEPOINT late"))).to.be.instanceOf(TransactionAbortedError);
            await runner.query("COMMIT");
          } finally {
            await runner.release();
          }
        });

        it("should not abort anything for a failed statement outside a transaction", async () => {
          await rejectionOf(dataSource.query(failing));
          await dataSource.getRepository(Item).insert({ value: 1 });
          expect(await dataSource.getRepository(Item).count()).to.equal(1);
        });
      }
    });
  }
});

void productionOptions;
