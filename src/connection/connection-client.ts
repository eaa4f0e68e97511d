import type { ReplicationMode } from "typeorm";

/** What the shared connection knows about a query runner that uses it. */
export interface ConnectionClient {
  readonly runnerId: number;
  readonly role: ReplicationMode;
  readonly replicaIndex: number | undefined;
  /** Human-readable description: id, role, replica. */
  describe(): string;
  /** Called when an enclosing transaction ended and took this client's open transaction with it. */
  discardTransaction(): void;
}
