import type { DataSource } from "typeorm";
import { Customer, Order, type CustomerPreferences } from "../entities";
import { NotFoundError } from "./errors";
import { skipAndTake, type Page, type PageRequest } from "./page";
import { readFromPrimary } from "./read-from-primary";

export class CustomerService {
  constructor(private readonly dataSource: DataSource) {}

  /** One customer, read from a replica. */
  async get(id: string): Promise<Customer> {
    const customer = await this.dataSource.getRepository(Customer).findOneBy({ id });
    if (!customer) throw new NotFoundError("customer", id);
    return customer;
  }

  /**
   * Replaces the customer's preferences and returns the customer as stored, `updatedAt` included.
   * The write goes to the primary, and so does the read that follows it (read-your-writes).
   */
  async updatePreferences(id: string, preferences: CustomerPreferences): Promise<Customer> {
    const { affected } = await this.dataSource.getRepository(Customer).update({ id }, { preferences });
    if (!affected) throw new NotFoundError("customer", id);
    return readFromPrimary(this.dataSource, (manager) => manager.findOneByOrFail(Customer, { id }));
  }

  /**
   * Renames the customer and returns it as a replica has it: written the naive way on purpose,
   * since a replica replays the primary's writes a little later and can return the old name.
   * The tests show it with replica lag (test/replica-lag.test.ts); `updatePreferences` is the
   * way to read a write back.
   */
  async rename(id: string, name: string): Promise<Customer> {
    const { affected } = await this.dataSource.getRepository(Customer).update({ id }, { name });
    if (!affected) throw new NotFoundError("customer", id);
    return this.get(id);
  }

  /** The customer's orders, newest first, each with its lines and their products. Served by a replica. */
  async listOrders(customerId: string, pageRequest: PageRequest): Promise<Page<Order>> {
    const [items, total] = await this.dataSource.getRepository(Order).findAndCount({
      where: { customer: { id: customerId } },
      relations: { lines: { product: true } },
      order: { placedAt: "DESC", id: "ASC" },
      ...skipAndTake(pageRequest),
    });
    return { items, total, ...pageRequest };
  }
}
