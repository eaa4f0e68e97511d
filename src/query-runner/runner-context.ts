import type { SharedConnection } from "../connection/shared-connection";
import type { QueryLog } from "../query-log/query-log";

/** What every runner of one DataSource shares. */
export interface RunnerContext {
  readonly connection: SharedConnection;
  readonly log: QueryLog;
  readonly allowReplicaWrites: boolean;
  /** Runners created and not yet released, for leak detection. */
  readonly openRunners: Set<RunnerInternals>;
  nextRunnerId(): number;
}

/** What the test harness may do with a runner beyond the QueryRunner API. */
export interface RunnerInternals {
  readonly runnerId: number;
  readonly creationSite: string;
  readonly isTransactionActive: boolean;
  readonly isReleased: boolean;
  describe(): string;
  /** Marks the runner released so later calls fail with `reason`, without touching the connection. */
  fence(reason: string): void;
}
