import type { ExecutorRunner } from "../executor/runner-state";
import type { SharedConnection } from "../connection/shared-connection";
import type { QueryLog } from "../query-log/query-log";
import type { QueryRunner } from "typeorm";
import type { EngineStatement } from "../fidelity/engine-statement";
import type { IsolationPolicy } from "./isolation-policy";
import type { ApplicationFamily } from "../data-source/application-type";
import type { LaggingReplicas } from "../replication/lag/lagging-replicas";

/** Where a DataSource is in its life: `"new"` until it first connects, `"destroyed"` after `destroy()`. */
export type DataSourceLifecycle = "new" | "open" | "destroyed";

/** What every runner of one DataSource shares. */
export interface RunnerContext {
  readonly connection: SharedConnection;
  /** The family of the application's production `type`: which spellings and behaviours of SQL apply. */
  readonly family: ApplicationFamily;
  /**
   * A Postgres application on an engine that does not abort transactions on error (SQLite): the
   * executor makes a failed statement abort its transaction, as production Postgres does.
   */
  readonly emulatesAbort: boolean;
  lifecycle(): DataSourceLifecycle;
  /**
   * The engine keeps connection state a rollback does not undo (SQLite's PRAGMAs and ATTACHes):
   * the executor records how to restore what a test changes, and the harness restores it.
   */
  readonly restoresSessionState: boolean;
  readonly log: QueryLog;
  readonly allowReplicaWrites: boolean;
  /** Isolation levels by the rules of the application's production type. */
  readonly isolation: IsolationPolicy;
  /** The engine aborts transactions on error: statements production would autocommit get a savepoint of their own (see `Engine.abortsTransactionOnError`). */
  readonly statementSavepoints: boolean;
  /** Runners created and not yet released, for leak detection. */
  readonly openRunners: Set<ExecutorRunner>;
  /**
   * TestIsolation groups running on this DataSource. While there is one, runners record where
   * they were created, for leak reports; elsewhere nothing reads it, and capturing a stack costs
   * a few microseconds per runner (TypeORM creates one for every replica read).
   */
  isolatedGroups: number;
  nextRunnerId(): number;
  /** The id the last runner created got (0 before the first). */
  lastRunnerId(): number;
  /** The engine's `prepareRunner`, run for every runner right after it is constructed. */
  readonly prepareRunner?: (runner: QueryRunner) => void;
  /** Rewrites a statement right before the engine runs it (production fidelity: locking clauses, placeholders). */
  readonly translateStatement?: (sql: string, parameters: unknown[] | undefined) => EngineStatement;
  /** The engine's `runControl`: how the library's own transaction-control statements run, when not through TypeORM's `query()`. */
  readonly runControl?: (runner: QueryRunner, sql: string) => Promise<void>;
  /** The engine's `statementError`: the error a failed statement reports, as TypeORM reports it. */
  readonly statementError?: (error: unknown, sql: string, parameters: unknown[] | undefined) => unknown;
  /** Replaces the error a statement failed with (production fidelity: production-only SQL). */
  readonly translateError?: (error: unknown, sql: string) => unknown;
  /** Replicas with data of their own, lagging until synced (engines with `laggingReplicas`, and replicas). */
  readonly lag?: LaggingReplicas;
}
