import type { QueryLogEntry } from "../query-log/query-log-entry";
import { SharedReplicationError } from "./shared-replication-error";

/** Expected statement counts, by role. */
export interface ExpectedQueries {
  readonly master?: number;
  readonly slave?: number;
  readonly total?: number;
}

/**
 * Thrown by `assertNumQueries` / `assertQueries` when a function caused a different number of
 * statements than expected. The message lists every captured statement with its role and replica.
 */
export class QueryAssertionError extends SharedReplicationError {
  readonly expected: ExpectedQueries;
  readonly actual: Required<ExpectedQueries>;
  readonly queries: readonly QueryLogEntry[];

  constructor(expected: ExpectedQueries, actual: Required<ExpectedQueries>, queries: readonly QueryLogEntry[]) {
    const wanted = Object.entries(expected)
      .map(([role, count]) => `${role} ${count}`)
      .join(", ");
    const got = `master ${actual.master}, slave ${actual.slave}, total ${actual.total}`;
    const listed = queries.map(
      (q, i) => `  ${i + 1}. [${q.role}${q.replicaIndex === undefined ? "" : ` replica ${q.replicaIndex}`}] ${q.sql}`,
    );
    super(`Expected ${wanted} queries, got ${got}. Captured queries:\n${listed.join("\n") || "  (none)"}`);
    this.expected = expected;
    this.actual = actual;
    this.queries = queries;
  }
}
