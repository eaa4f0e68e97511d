import type { ReplicationMode } from "typeorm";

/** What the shared connection and the test harness know about a query runner that uses it. */
export interface ConnectionClient {
  readonly runnerId: number;
  readonly role: ReplicationMode;
  readonly replicaIndex: number | undefined;
  readonly isReleased: boolean;
  /** Where the runner was created (a stack trace), for leak reports. */
  readonly creationSite: string;
  /** Human-readable description: id, role, replica. */
  describe(): string;
  /** Called when an enclosing transaction ended and took this client's open transaction with it. */
  discardTransaction(): void;
  /** Marks the runner released so later calls fail with `reason`, without touching the connection. */
  fence(reason: string): void;
}
