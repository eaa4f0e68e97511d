// #region lagging-data-source
import { SharedReplicationDataSource } from "../../src";
import { productionOptions } from "./app";

// Replicas hold copies of their own, which show the master's commits only once synced.
export const laggingDataSource = new SharedReplicationDataSource(productionOptions, { replicaLag: "manual" });
// #endregion lagging-data-source
