import express, { type Express } from "express";
import type { DataSource } from "typeorm";
import { reportsRouter } from "../reports/reports-router";
import { CatalogService } from "../services/catalog-service";
import { CustomerService } from "../services/customer-service";
import { OrderService } from "../services/order-service";
import { errorHandler } from "./error-handler";
import { idParam, orderBody, pageQuery, preferencesBody } from "./parse-request";

/**
 * The shop's HTTP API. Everything it builds gets `dataSource` by injection: production passes
 * `AppDataSource`, tests pass their own. The reports router is older code that imports the
 * `AppDataSource` singleton itself.
 */
export function createApp(dataSource: DataSource): Express {
  const catalog = new CatalogService(dataSource);
  const customers = new CustomerService(dataSource);
  const orders = new OrderService(dataSource);

  const app = express();
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
