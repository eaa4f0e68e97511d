// 100 orders at once, each request in its own transaction, against one test's savepoint. The
// requests take turns on the shared connection; the conditional stock UPDATE decides who wins.
import { expect } from "chai";
import type { Server } from "node:http";
import request from "supertest";
import { useTransactionalTests } from "typeorm-shared-replication";
import { Order, Product } from "../src/entities";
import { createApp } from "../src/http/create-app";
import { testDataSource } from "./bootstrap";
import { harbourRoad, shopFixtures } from "./support/shop-fixtures";

describe("100 concurrent orders for 60 mugs", () => {
  const tests = useTransactionalTests(testDataSource, { setUpTestData: shopFixtures });
  let server: Server;

  before((done) => {
    server = createApp(testDataSource).listen(0, done);
  });
  after((done) => {
    server.close(done);
  });

  // #region concurrency
  it("should sell exactly the stock and refuse the rest", async () => {
    const { alice, mug } = tests.testData;
    const order = { customerId: alice.id, items: [{ productId: mug.id, quantity: 1 }], shippingAddress: harbourRoad };
    const { result: responses, queries } = await testDataSource.queryLog.capture(() =>
      Promise.all(Array.from({ length: 100 }, () => request(server).post("/orders").send(order))),
    );

    const sold = responses.filter((response) => response.status === 201);
    const refused = responses.filter((response) => response.status === 409);
    expect([sold.length, refused.length]).to.deep.equal([60, 40]);
    for (const { body } of sold) expect(body).to.include({ status: "placed", totalCents: 1200 });
    for (const { body } of refused) expect(body).to.deep.equal({ error: "Not enough stock of KIT-MUG for 1 more.", sku: "KIT-MUG" });
    expect(new Set(sold.map(({ body }) => body.id)).size).to.equal(60);
    // One transaction per request (a savepoint inside this test's transaction); the 40 refused ones rolled back.
    const own = queries.filter((query) => !query.internal);
    expect(own.filter((query) => query.sql.startsWith("SAVEPOINT"))).to.have.length(100);
    expect(own.filter((query) => query.sql.startsWith("ROLLBACK TO"))).to.have.length(40);

    expect(await testDataSource.getRepository(Product).findOneByOrFail({ id: mug.id })).to.include({ stock: 0 });
    expect(await testDataSource.getRepository(Order).countBy({ customer: { id: alice.id } })).to.equal(1 + 60);
  });

  it("should find none of those orders in the next test", async () => {
    expect(await testDataSource.getRepository(Product).findOneByOrFail({ id: tests.testData.mug.id })).to.include({ stock: 60 });
    expect(await testDataSource.getRepository(Order).count()).to.equal(1);
  });
  // #endregion concurrency
});
