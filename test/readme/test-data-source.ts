// #region bootstrap
import { SharedReplicationDataSource } from "../../src";
import { productionOptions } from "./app"; // { type: "postgres", replication: { master, slaves } }

// Same entities, subscribers, migrations and naming strategy; one in-memory SQLite connection
// behind the master and both replicas. Hosts and passwords are never used.
export const testDataSource = new SharedReplicationDataSource(productionOptions);
// #endregion bootstrap
