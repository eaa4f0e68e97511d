import type { DataSource } from "typeorm";
import { Product } from "../entities";
import { skipAndTake, type Page, type PageRequest } from "./page";

export class CatalogService {
  constructor(private readonly dataSource: DataSource) {}

  /** Products by name, one page at a time, each with its tags. Served by a replica. */
  async listProducts(pageRequest: PageRequest): Promise<Page<Product>> {
    const [items, total] = await this.dataSource.getRepository(Product).findAndCount({
      relations: { tags: true },
      order: { name: "ASC" },
      ...skipAndTake(pageRequest),
    });
    return { items, total, ...pageRequest };
  }
}
