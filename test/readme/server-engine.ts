// #region server-engine
import { SharedReplicationDataSource } from "../../src";
import { productionOptions } from "./app";

// Runs in the database test_app on the local server (created on first use); never in "app".
export const postgresTestDataSource = new SharedReplicationDataSource(productionOptions, {
  engine: { type: "postgres", host: "127.0.0.1", username: "postgres", database: "app" },
});
// #endregion server-engine
