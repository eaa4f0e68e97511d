import type { Driver } from "typeorm";

// What a pooled driver's (Postgres', MySQL's) native connect() learns, which the adopting driver would otherwise miss.
const LEARNT_ON_CONNECT = [
  "version",
  "database",
  "searchSchema",
  "schema",
  "isGeneratedColumnsSupported",
  "_isReturningSqlSupported",
  "cteCapabilities",
  "uuidColumnTypeSuported",
];

/**
 * Points a pooled driver (TypeORM's Postgres or MySQL driver) at the connection `owner` opened:
 * every runner of `driver`, master or replica, obtains `owner`'s connection, and what `owner`
 * learnt on connecting is copied over.
 */
export function adoptPooledConnection(driver: Driver, owner: Driver): void {
  const source = owner as unknown as Record<string, unknown>;
  const target = driver as unknown as Record<string, unknown>;
  target.obtainMasterConnection = () => (source.obtainMasterConnection as () => Promise<unknown>)();
  target.obtainSlaveConnection = target.obtainMasterConnection;
  for (const field of LEARNT_ON_CONNECT) if (field in source) target[field] = source[field];
}
