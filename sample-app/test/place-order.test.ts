// Use 2: a TransactionalTestCase. setUpTestData builds the shop once for the class; every test
// runs in a savepoint that is rolled back, so each starts from exactly those rows.
import { expect } from "chai";
import request from "supertest";
import type { EntityManager } from "typeorm";
import { TransactionalTestCase } from "typeorm-shared-replication";
import { Order, Product } from "../src/entities";
import { createApp } from "../src/http/create-app";
import { testDataSource } from "./bootstrap";
import { harbourRoad, shopFixtures, type ShopFixtures } from "./support/shop-fixtures";

class PlaceOrderTest extends TransactionalTestCase<ShopFixtures> {
  static override dataSource = testDataSource;

  static async setUpTestData(manager: EntityManager) {
    return shopFixtures(manager);
  }

  private readonly app = createApp(testDataSource);

  async testTakesStockAndRecordsTheOrder() {
    const { alice, atlas, mug } = this.testData;
    const items = [
      { productId: atlas.id, quantity: 1 },
      { productId: mug.id, quantity: 4 },
    ];
    const { body } = await request(this.app)
      .post("/orders")
      .send({ customerId: alice.id, items, shippingAddress: harbourRoad })
      .expect(201);
    expect(body).to.include({ status: "placed", totalCents: 3500 + 4 * 1200 });
    expect(await this.stockOf(atlas.id, mug.id)).to.deep.equal([9, 56]);
  }

  async testKeepsNothingWhenOneItemIsShort() {
    const { bob, atlas, kettle } = this.testData;
    const items = [
      { productId: atlas.id, quantity: 2 },
      { productId: kettle.id, quantity: 4 },
    ];
    const { body } = await request(this.app).post("/orders").send({ customerId: bob.id, items, shippingAddress: harbourRoad }).expect(409);
    expect(body.sku).to.equal("KIT-KETTLE");
    expect(await this.stockOf(atlas.id, kettle.id)).to.deep.equal([10, 3]);
    expect(await this.dataSource.getRepository(Order).countBy({ customer: { id: bob.id } })).to.equal(0);
  }

  async testStartsFromTheFixturesAgain() {
    const { atlas, mug } = this.testData;
    expect(await this.stockOf(atlas.id, mug.id)).to.deep.equal([10, 60]);
    expect(await this.dataSource.getRepository(Order).count()).to.equal(1);
  }
  private async stockOf(...ids: string[]): Promise<number[]> {
    const products = await this.dataSource.getRepository(Product).findBy(ids.map((id) => ({ id })));
    return ids.map((id) => products.find((product) => product.id === id)!.stock);
  }
}
PlaceOrderTest.register();

class OrderRequestsTest extends TransactionalTestCase<ShopFixtures> {
  static override dataSource = testDataSource;

  static async setUpTestData(manager: EntityManager) {
    return shopFixtures(manager);
  }

  private readonly app = createApp(testDataSource);

  async testRefusesAnUnknownProduct() {
    const { alice, atlas } = this.testData;
    const items = [
      { productId: atlas.id, quantity: 1 },
      { productId: "00000000-0000-4000-8000-000000000000", quantity: 1 },
    ];
    await request(this.app).post("/orders").send({ customerId: alice.id, items, shippingAddress: harbourRoad }).expect(404);
    expect((await this.dataSource.getRepository(Product).findOneByOrFail({ id: atlas.id })).stock).to.equal(10);
  }

  async testRefusesAMalformedOrder() {
    const { alice, atlas } = this.testData;
    const { body } = await request(this.app)
      .post("/orders")
      .send({ customerId: alice.id, items: [{ productId: atlas.id, quantity: 0 }], shippingAddress: harbourRoad })
      .expect(400);
    expect(body.error).to.equal("quantity must be a positive integer.");
  }

  async testListsTheCustomersOrdersWithTheirLines() {
    const { alice, mug } = this.testData;
    const { body } = await request(this.app).get(`/customers/${alice.id}/orders`).expect(200);
    expect(body).to.include({ total: 1, page: 1, pageSize: 20 });
    expect(body.items[0]).to.include({ status: "paid", totalCents: 2400, placedAt: "2024-05-01T09:30:00.000Z" });
    expect(body.items[0].shippingAddress).to.deep.equal(harbourRoad);
    expect(body.items[0].lines).to.have.length(1);
    expect(body.items[0].lines[0]).to.include({ quantity: 2, unitPriceCents: 1200 });
    expect(body.items[0].lines[0].product).to.include({ id: mug.id, sku: "KIT-MUG" });
  }
}
OrderRequestsTest.register();
