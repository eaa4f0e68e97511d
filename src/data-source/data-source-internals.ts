import type { DataSource } from "typeorm";
import type { SharedConnection } from "../connection/shared-connection";
import type { Engine } from "../engines/engine";
import type { StatementExecutor } from "../executor/statement-executor";
import type { SequenceCounters } from "../fidelity/sequence-registry";
import type { RunnerContext } from "../query-runner/runner-context";
import type { SharedReplicationQueryRunner } from "../query-runner/define-shared-query-runner";

/** What the library's own modules (the test harness) may reach in a SharedReplicationDataSource. */
export interface DataSourceInternals {
  readonly engine: Engine;
  readonly connection: SharedConnection;
  readonly context: RunnerContext;
  /** The one path to the connection for this DataSource's statements. */
  readonly executor: StatementExecutor;
  /** The sequences of the connection, shared by every DataSource on it. */
  readonly sequences: SequenceCounters;
  /** Creates a master runner for the harness's own statements. */
  createHarnessRunner(): SharedReplicationQueryRunner;
}

const internals = new WeakMap<DataSource, DataSourceInternals>();

export function registerInternals(dataSource: DataSource, value: DataSourceInternals): void {
  internals.set(dataSource, value);
}

/** The internals of a SharedReplicationDataSource, or `undefined` for any other DataSource. */
export function internalsOf(dataSource: DataSource): DataSourceInternals | undefined {
  return internals.get(dataSource);
}
