import type { Flow } from "../connection/async-flow";
import type { ConnectionClient } from "../connection/connection-client";
import type { Lease } from "../connection/connection-lock";
import type { TransactionFrame } from "../connection/shared-connection";
import type { TestScope } from "../testing/test-scope";

/** What the executor keeps for one query runner: its transaction on the shared connection and its lifecycle. */
export class RunnerState {
  /** The runner's own transaction frames, outermost first. */
  readonly ownFrames: TransactionFrame[] = [];
  /** The lease its open transaction holds the connection with. */
  lease: Lease | undefined;
  /** The async flow its open transaction belongs to. */
  flow: Flow | undefined;
  /**
   * Inside TypeORM's own startTransaction/commitTransaction/rollbackTransaction: the statements they
   * send through `query()` are the transaction protocol.
   */
  controlling = 0;
  /** Why the runner can no longer be used, once it cannot. */
  releasedReason: string | undefined;
  /** Statements issued and not yet settled (waiting for the connection included), for the leak check's drain. */
  pending = 0;
  /** The test harness's own runner: its statements run whenever the connection is open. */
  harness = false;
  /** Ends the stream the runner has open, if any (see `StatementExecutor.stream`). */
  endStream: ((error?: unknown) => void) | undefined;

  constructor(
    /** The scope of the test that created the runner, if it was created by a test's work. */
    readonly scope: TestScope | undefined,
  ) {}
}

/** A query runner as the executor sees it. */
export interface ExecutorRunner extends ConnectionClient {
  readonly state: RunnerState;
  readonly isTransactionActive: boolean;
  /** The engine call: TypeORM's own `query()` of the engine's runner, on the shared connection. */
  engineQuery(sql: string, parameters: unknown[] | undefined, structured: boolean | undefined): Promise<any>;
  /** A transaction-control statement of the library's own: the engine's `runControl`, or TypeORM's `query()`. */
  engineControl(sql: string): Promise<unknown>;
  /**
   * Shows TypeORM's logger and subscribers a statement the executor runs without TypeORM's `query()`,
   * as `query()` would: before it runs, then (with `outcome`) once it ran.
   */
  announce(sql: string, outcome?: { readonly ms: number; readonly error?: unknown }): Promise<void> | undefined;
  /** Sets TypeORM's `isTransactionActive`, and its `transactionDepth` when `depth` is given. */
  setTransactionState(active: boolean, depth?: number): void;
}
