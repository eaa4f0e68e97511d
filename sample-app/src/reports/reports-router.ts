import { Router } from "express";
import { AppDataSource } from "../data-source";
import { Order, type OrderStatus } from "../entities";

export interface StatusSales {
  readonly status: OrderStatus;
  readonly orders: number;
  readonly revenueCents: number;
}

/**
 * Orders and revenue per status, read from a replica. Written the way TypeORM's Express guide
 * writes controllers: against the module-level `AppDataSource`, not an injected DataSource.
 */
export async function salesByStatus(): Promise<StatusSales[]> {
  const rows = await AppDataSource.getRepository(Order)
    .createQueryBuilder("o")
    .select("o.status", "status")
    .addSelect("COUNT(*)", "orders")
    .addSelect("SUM(o.totalCents)", "revenueCents")
    .groupBy("o.status")
    .orderBy("o.status")
    .getRawMany<{ status: OrderStatus; orders: string | number; revenueCents: string | number }>();
  // Postgres returns COUNT and SUM as bigint strings.
  return rows.map((row) => ({ status: row.status, orders: Number(row.orders), revenueCents: Number(row.revenueCents) }));
}

export const reportsRouter = Router();

reportsRouter.get("/sales", async (_req, res) => {
  res.json(await salesByStatus());
});
