import type { ReplicationMode } from "typeorm";
import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when a query runner is used after `release()` (or after the test that created it ended
 * and the test harness fenced it). Create a new runner with `dataSource.createQueryRunner()`.
 */
export class QueryRunnerReleasedError extends SharedReplicationError {
  /** Id of the released runner. */
  readonly runnerId: number;
  /** Role of the released runner. */
  readonly role: ReplicationMode;
  /** The method that was called. */
  readonly method: string;

  constructor(runnerId: number, role: ReplicationMode, method: string, reason = "it was released") {
    super(`Query runner #${runnerId} (${role}) cannot ${method}: ${reason}. ` + `Create a new one with dataSource.createQueryRunner().`);
    this.runnerId = runnerId;
    this.role = role;
    this.method = method;
  }
}
