import type { DataSource } from "typeorm";
import { Customer, Order, OrderLine, Product, type ShippingAddress } from "../entities";
import { NotFoundError, OutOfStockError } from "./errors";

export interface OrderRequest {
  readonly customerId: string;
  readonly items: readonly { readonly productId: string; readonly quantity: number }[];
  readonly shippingAddress: ShippingAddress;
}

export class OrderService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Places an order in one transaction on the primary: checks the customer, takes each product's
   * stock, then writes the order and its lines. Any failure (an unknown product, too little stock)
   * rolls all of it back.
   */
  async placeOrder(request: OrderRequest): Promise<Order> {
    return this.dataSource.transaction(async (manager) => {
      const customer = await manager.findOneBy(Customer, { id: request.customerId });
      if (!customer) throw new NotFoundError("customer", request.customerId);

      const lines: OrderLine[] = [];
      for (const { productId, quantity } of request.items) {
        const product = await manager.findOneBy(Product, { id: productId });
        if (!product) throw new NotFoundError("product", productId);
        // One conditional UPDATE rather than read-check-write: two orders racing for the last
        // unit cannot both succeed, whatever the isolation level.
        const { affected } = await manager
          .createQueryBuilder()
          .update(Product)
          .set({ stock: () => "stock - :quantity" })
          .where("id = :id AND stock >= :quantity", { id: productId, quantity })
          .execute();
        if (!affected) throw new OutOfStockError(product.sku, quantity);
        lines.push(manager.create(OrderLine, { product, quantity, unitPriceCents: product.priceCents }));
      }

      const totalCents = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
      return manager.save(manager.create(Order, { customer, lines, totalCents, shippingAddress: request.shippingAddress }));
    });
  }
}
