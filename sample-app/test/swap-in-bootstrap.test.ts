// Use 1: the test bootstrap (test/bootstrap.ts) swaps the production DataSource, and application
// code runs unchanged, both where it receives its DataSource and where it imports the singleton.
import { expect } from "chai";
import request from "supertest";
import { DataSource } from "typeorm";
import { useTransactionalTests } from "typeorm-shared-replication";
import { AppDataSource, productionOptions } from "../src/data-source";
import { createApp } from "../src/http/create-app";
import { salesByStatus } from "../src/reports/reports-router";
import { testDataSource } from "./bootstrap";
import { engineOf, isPgliteInstalled } from "./support/engine-of";
import { harbourRoad, shopFixtures } from "./support/shop-fixtures";

describe("swapping the DataSource in the test bootstrap", () => {
  const tests = useTransactionalTests(testDataSource, { setUpTestData: shopFixtures });

  describe("an app that receives its DataSource (createApp)", () => {
    it("should be handed a real TypeORM DataSource built from the production options", () => {
      expect(testDataSource).to.be.instanceOf(DataSource);
      expect(productionOptions.type).to.equal("postgres");
      expect(testDataSource.entityMetadatas.map((metadata) => metadata.tableName)).to.include.members([
        "customer",
        "orders",
        "product_tag",
      ]);
    });

    it("should run on PGlite when it is installed, else on in-memory SQLite (the library's default)", () => {
      expect(engineOf(testDataSource)).to.equal(isPgliteInstalled() ? "pglite" : "sqlite3");
    });

    it("should serve the rows the test wrote", async () => {
      const response = await request(createApp(testDataSource)).get(`/customers/${tests.testData.bob.id}`).expect(200);
      expect(response.body).to.include({ email: "bob@example.com", name: "Bob" });
      expect(response.body.preferences).to.deep.equal({});
    });
  });

  describe("a module that imports the AppDataSource singleton", () => {
    it("should import the test DataSource as AppDataSource", () => {
      expect(AppDataSource).to.equal(testDataSource);
    });

    it("should run its queries on the test DataSource, on a replica", async () => {
      const report = await testDataSource.queryLog.capture(() => salesByStatus());
      expect(report.result).to.deep.equal([{ status: "paid", orders: 1, revenueCents: 2400 }]);
      expect(report.queries.filter((query) => !query.internal).map((query) => query.role)).to.deep.equal(["slave"]);
    });

    it("should serve its route from the injected app, on the same data", async () => {
      const app = createApp(testDataSource);
      const { alice, mug } = tests.testData;
      await request(app)
        .post("/orders")
        .send({ customerId: alice.id, items: [{ productId: mug.id, quantity: 3 }], shippingAddress: harbourRoad })
        .expect(201);
      const response = await request(app).get("/reports/sales").expect(200);
      const placed = { status: "placed", orders: 1, revenueCents: 3600 };
      const paid = { status: "paid", orders: 1, revenueCents: 2400 };
      // The report orders by the enum column. Postgres sorts an enum in the order its type declares:
      // placed before paid. The SQLite engine stores an enum as text (varchar + CHECK) and sorts it
      // alphabetically: paid before placed. A difference of the emulation, not of the app.
      expect(response.body).to.deep.equal(engineOf(testDataSource) === "pglite" ? [placed, paid] : [paid, placed]);
    });
  });
});
