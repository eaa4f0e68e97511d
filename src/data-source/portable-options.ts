import type { DataSourceOptions } from "typeorm";
import { InvalidSettingsError } from "../errors/invalid-settings-error";

/**
 * The parts of the application's options that describe the application rather than where its
 * database is: they carry over to the test engine. Hosts, users, passwords, pools, SSL and
 * replica addresses are dropped and never used.
 */
export const PORTABLE_OPTION_KEYS = [
  "name",
  "entities",
  "subscribers",
  "migrations",
  "migrationsTableName",
  "migrationsTransactionMode",
  "metadataTableName",
  "namingStrategy",
  "entityPrefix",
  "entitySkipConstructor",
  "logger",
  "logging",
  "maxQueryExecutionTime",
  "relationLoadStrategy",
  "invalidWhereValuesBehavior",
] as const;

export type PortableOptions = Partial<Pick<DataSourceOptions, (typeof PORTABLE_OPTION_KEYS)[number] & keyof DataSourceOptions>>;

export function portableOptions(options: DataSourceOptions): PortableOptions {
  const portable: Record<string, unknown> = {};
  for (const key of PORTABLE_OPTION_KEYS) {
    if (key in options && (options as unknown as Record<string, unknown>)[key] !== undefined) {
      portable[key] = (options as unknown as Record<string, unknown>)[key];
    }
  }
  return portable as PortableOptions;
}

/** The replication shape of the application's options: how many replicas and the default read mode. */
export interface ReplicationShape {
  readonly replicas: number | undefined;
  readonly defaultMode: "master" | "slave";
}

export function replicationShape(options: DataSourceOptions): ReplicationShape {
  const replication = (options as { replication?: { slaves?: unknown[]; defaultMode?: "master" | "slave" } }).replication;
  if (!replication) return { replicas: undefined, defaultMode: "slave" };
  if (replication.slaves !== undefined && !Array.isArray(replication.slaves)) {
    throw new InvalidSettingsError("options", options, `replication.slaves must be an array, got ${typeof replication.slaves}.`);
  }
  return { replicas: replication.slaves?.length ?? 0, defaultMode: replication.defaultMode ?? "slave" };
}
