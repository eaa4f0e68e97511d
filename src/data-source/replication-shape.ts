import type { DataSourceOptions } from "typeorm";
import { InvalidSettingsError } from "../errors/invalid-settings-error";

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
