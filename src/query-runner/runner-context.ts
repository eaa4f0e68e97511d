import type { ConnectionClient } from "../connection/connection-client";
import type { SharedConnection } from "../connection/shared-connection";
import type { QueryLog } from "../query-log/query-log";
import type { QueryRunner } from "typeorm";

/** What every runner of one DataSource shares. */
export interface RunnerContext {
  readonly connection: SharedConnection;
  readonly log: QueryLog;
  readonly allowReplicaWrites: boolean;
  /** Runners created and not yet released, for leak detection. */
  readonly openRunners: Set<ConnectionClient>;
  nextRunnerId(): number;
  /** The id the last runner created got (0 before the first). */
  lastRunnerId(): number;
  /** The engine's `prepareRunner`, run for every runner right after it is constructed. */
  readonly prepareRunner?: (runner: QueryRunner) => void;
}
