import type { DataSourceInternals } from "../data-source/data-source-internals";
import type { ExecutorRunner } from "../executor/runner-state";
import type { LagSnapshot } from "../replication/lag/lagging-replicas";

/** Starts a lag scope (test or group) when the DataSource's replicas can lag: replicas in sync, the state saved. */
export async function beginLagScope(internals: DataSourceInternals, runner: ExecutorRunner): Promise<LagSnapshot | undefined> {
  const lag = internals.context.lag;
  if (!lag) return undefined;
  // Without copies there is nothing to sync: the connection, which another flow may hold, is not waited for.
  if (!lag.captures && !lag.needsCopies) return lag.beginScope(undefined);
  return internals.executor.withConnection(runner, (execution) => lag.beginScope(execution));
}

/**
 * Drops the replicas' copies of a persistent engine, built outside its session transaction (by a
 * truncating lifecycle), so nothing of them is left in the database.
 */
export async function dropLagCopies(internals: DataSourceInternals, runner: ExecutorRunner): Promise<void> {
  const lag = internals.context.lag;
  if (!lag?.captures || !internals.engine.persistent) return;
  await internals.executor.withConnection(runner, (execution) => lag.dropCopies(execution));
}

/** The harness wrote outside any transaction (a truncating lifecycle emptied the tables): that is a commit replicas that lag are given. */
export async function commitForLaggingReplicas(internals: DataSourceInternals, runner: ExecutorRunner): Promise<void> {
  if (!internals.connection.capturesForLaggingReplicas) return;
  await internals.executor.withConnection(runner, async (execution) => {
    for (const lag of internals.connection.laggingReplicas) {
      lag.noteWrite();
      await lag.commitPoint(execution);
    }
  });
}
