import type { QueryLogEntry, SharedReplicationDataSource } from "../../src";

/** Who served a logged statement: `"master"`, `"replica 0"`, `"replica 1"`, … (a replica runner served by the master: `"slave"`). */
export function servedBy(entry: QueryLogEntry): string {
  if (entry.role === "master") return "master";
  return entry.replicaIndex === undefined ? "slave" : `replica ${entry.replicaIndex}`;
}

/** Who served each data statement whose parameters include `marker` (a value only one read uses). */
export function servedByMarker(dataSource: SharedReplicationDataSource, marker: string): string[] {
  return dataSource.queryLog
    .entries()
    .filter((entry) => entry.kind === "data" && !entry.internal && (entry.parameters ?? []).includes(marker))
    .map(servedBy);
}
