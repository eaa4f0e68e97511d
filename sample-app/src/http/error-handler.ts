import type { ErrorRequestHandler } from "express";
import { InvalidRequestError, NotFoundError, OutOfStockError } from "../services/errors";

/** Maps the services' errors to status codes; anything else is a 500 whose details stay in the log. */
export const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  if (error instanceof NotFoundError) return void res.status(404).json({ error: error.message });
  if (error instanceof OutOfStockError) return void res.status(409).json({ error: error.message, sku: error.sku });
  if (error instanceof InvalidRequestError) return void res.status(400).json({ error: error.message });
  // express.json() marks malformed bodies with a 4xx status.
  if (typeof error?.status === "number" && error.status < 500) return void res.status(error.status).json({ error: error.message });
  console.error(error);
  res.status(500).json({ error: "Internal server error" });
};
