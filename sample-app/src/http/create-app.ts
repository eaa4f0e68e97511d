import express, { type Express } from "express";
import type { DataSource } from "typeorm";
import { replicaPinning } from "typeorm-shared-replication";
import { reportsRouter } from "../reports/reports-router";
import { CatalogService } from "../services/catalog-service";
import { CustomerService } from "../services/customer-service";
import { OrderService } from "../services/order-service";
import { errorHandler } from "./error-handler";
import { idParam, nameBody, orderBody, pageQuery, preferencesBody } from "./parse-request";

/**
 * The shop's HTTP API. Everything it builds gets `dataSource` by injection: production passes
 * `AppDataSource`, tests pass their own. The reports router is older code that imports the
 * `AppDataSource` singleton itself.
 *
 * Read-your-writes pinning: after a request writes, its own reads and the same browser's for 15
 * seconds go to the primary, on every instance of the shop; `pinSecret` signs the pin cookie
 * (the instances share it). `pinning: false` builds the shop without it, as it was before, which
 * its tests use to show the stale reads pinning prevents.
 */
export function createApp(
  dataSource: DataSource,
  { pinSecret = process.env.PIN_SECRET ?? "", pinning = true }: { pinSecret?: string; pinning?: boolean } = {},
): Express {
  const catalog = new CatalogService(dataSource);
  const customers = new CustomerService(dataSource);
  const orders = new OrderService(dataSource);

  const app = express();
  if (pinning) app.use(replicaPinning({ secret: pinSecret }));
  app.use(express.json());

  // Express 5 passes a rejected handler promise to the error handler.
  app.get("/products", async (req, res) => {
    res.json(await catalog.listProducts(pageQuery(req.query)));
  });
  app.get("/customers/:id", async (req, res) => {
    res.json(await customers.get(idParam("customer", req.params.id)));
  });
  app.put("/customers/:id/preferences", async (req, res) => {
    res.json(await customers.updatePreferences(idParam("customer", req.params.id), preferencesBody(req.body)));
  });
  app.put("/customers/:id/name", async (req, res) => {
    res.json(await customers.rename(idParam("customer", req.params.id), nameBody(req.body)));
  });
  app.get("/customers/:id/orders", async (req, res) => {
    res.json(await customers.listOrders(idParam("customer", req.params.id), pageQuery(req.query)));
  });
  app.post("/orders", async (req, res) => {
    res.status(201).json(await orders.placeOrder(orderBody(req.body)));
  });
  app.use("/reports", reportsRouter);

  app.use(errorHandler);
  return app;
}
