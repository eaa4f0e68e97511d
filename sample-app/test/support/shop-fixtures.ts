import type { EntityManager } from "typeorm";
import { Customer, Order, OrderLine, OrderStatus, Product, Tag, type ShippingAddress } from "../../src/entities";

export const harbourRoad: ShippingAddress = { street: "1 Harbour Road", city: "Lerwick", country: "GB" };

/** The shop every test starts from: two customers, five products, three tags and one paid order. */
export async function shopFixtures(manager: EntityManager) {
  const [books, gifts, kitchen] = await manager.save(Tag, [{ name: "books" }, { name: "gifts" }, { name: "kitchen" }]);
  const alice = await manager.save(
    manager.create(Customer, { email: "alice@example.com", name: "Alice", preferences: { newsletter: true, language: "en" } }),
  );
  const bob = await manager.save(manager.create(Customer, { email: "bob@example.com", name: "Bob" }));
  const product = (sku: string, name: string, priceCents: number, stock: number, tags: Tag[], attributes = {}) =>
    manager.save(manager.create(Product, { sku, name, priceCents, stock, tags, attributes }));
  const atlas = await product("BOOK-ATLAS", "Atlas of remote islands", 3500, 10, [books!, gifts!], { pages: 144 });
  const cookbook = await product("BOOK-COOK", "Bread, step by step", 2800, 5, [books!, kitchen!]);
  const kettle = await product("KIT-KETTLE", "Enamel kettle", 4900, 3, [kitchen!]);
  const mug = await product("KIT-MUG", "Stoneware mug", 1200, 60, [kitchen!, gifts!], { colour: "sand" });
  const poster = await product("GIFT-POSTER", "Tide chart poster", 1500, 0, [gifts!]);
  const firstOrder = await manager.save(
    manager.create(Order, {
      customer: alice,
      status: OrderStatus.Paid,
      totalCents: 2 * 1200,
      shippingAddress: harbourRoad,
      placedAt: new Date("2024-05-01T09:30:00Z"),
      lines: [manager.create(OrderLine, { product: mug, quantity: 2, unitPriceCents: 1200 })],
    }),
  );
  return { alice, bob, atlas, cookbook, kettle, mug, poster, firstOrder };
}

export type ShopFixtures = Awaited<ReturnType<typeof shopFixtures>>;
