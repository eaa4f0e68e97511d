// Use 3: replicas without mocks. The app runs against its production replication setup, and the
// role-aware assertions check which statements went to a replica and which to the primary.
import { expect } from "chai";
import request from "supertest";
import { ReplicaWriteError, assertQueries, useTransactionalTests } from "typeorm-shared-replication";
import { Customer } from "../src/entities";
import { createApp } from "../src/http/create-app";
import { testDataSource } from "./bootstrap";
import { harbourRoad, shopFixtures } from "./support/shop-fixtures";

describe("reads on replicas, writes on the primary", () => {
  const tests = useTransactionalTests(testDataSource, { setUpTestData: shopFixtures });
  const app = createApp(testDataSource);

  it("should list a page of products with their tags from a replica alone", async () => {
    // findAndCount with a relation and a page: the page's ids, their rows, and the total.
    const { body } = await assertQueries(testDataSource, { master: 0, slave: 3 }, () =>
      request(app).get("/products?page=2&pageSize=2").expect(200),
    );
    expect(body).to.include({ total: 5, page: 2, pageSize: 2 });
    expect(body.items.map((product: { sku: string }) => product.sku)).to.deep.equal(["KIT-KETTLE", "KIT-MUG"]);
    expect(body.items[1].tags.map((tag: { name: string }) => tag.name).sort()).to.deep.equal(["gifts", "kitchen"]);
    expect(body.items[1].attributes).to.deep.equal({ colour: "sand" });
  });

  it("should run every step of an order on the primary, in one transaction", async () => {
    const { bob, cookbook } = tests.testData;
    const order = { customerId: bob.id, items: [{ productId: cookbook.id, quantity: 2 }], shippingAddress: harbourRoad };
    const { queries } = await testDataSource.queryLog.capture(() => request(app).post("/orders").send(order).expect(201));
    expect(queries.every((query) => query.role === "master")).to.equal(true);
    // One SAVEPOINT, not BEGIN: the test's own transaction is still open around the request. The
    // commit sends nothing: the savepoint stays until the test's rollback removes it.
    const transactionControl = queries.filter((query) => query.kind === "transaction" && !query.internal);
    expect(transactionControl.map((query) => query.sql)).to.have.length(1);
    expect(transactionControl[0]!.sql).to.match(/^SAVEPOINT /);
  });

  it("should spread reads over both replicas", async () => {
    const { alice, bob } = tests.testData;
    const { queries } = await testDataSource.queryLog.capture(async () => {
      await request(app).get(`/customers/${alice.id}`).expect(200);
      await request(app).get(`/customers/${bob.id}`).expect(200);
    });
    const reads = queries.filter((query) => !query.internal);
    expect(reads.map((query) => [query.role, query.replicaIndex])).to.have.deep.members([
      ["slave", 0],
      ["slave", 1],
    ]);
  });

  it("should refuse a write through a replica, as a read-only replica does", async () => {
    const replica = testDataSource.createQueryRunner("slave");
    try {
      const error = await replica.manager
        .update(Customer, { id: tests.testData.bob.id }, { name: "Robert" })
        .catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(ReplicaWriteError);
    } finally {
      await replica.release();
    }
  });
});
