import { measure } from "../harness/measure";
import type { Summary } from "../harness/statistics";
import { countFor, type ByBody } from "../run-plan";
import { perTestRollback } from "../strategies/per-test-rollback";
import type { NamedBody } from "../workload/test-bodies";
import { strategyTask } from "./strategy-suite";

export interface ReplicationCost {
  readonly body: NamedBody;
  /** 2 replicas: replica runners are distinct, round-robin, write-guarded. */
  readonly on: Summary;
  /** `replicas: 0`: replica runners are served by the master. */
  readonly off: Summary;
}

/** Strategy 1 with 2 simulated replicas against replication off, the same bodies, interleaved in rounds. */
export async function runReplicationSuite(
  counts: ByBody,
  fixtureRows: number,
  bodies: readonly NamedBody[],
  rounds: number,
  onProgress?: (label: string, round: number) => void,
): Promise<ReplicationCost[]> {
  const label = (body: NamedBody, replicas: number) => `sqlite replicas=${replicas}: 1 ${body.key}`;
  const tasks = bodies.flatMap((body) =>
    [2, 0].map((replicas) =>
      strategyTask(
        { engine: "sqlite", fixtureRows, settings: { replicas } },
        perTestRollback,
        body,
        countFor(counts, body.key),
        label(body, replicas),
      ),
    ),
  );
  const summaries = await measure(tasks, { rounds, onProgress });
  return bodies.map((body) => ({ body, on: summaries.get(label(body, 2))!, off: summaries.get(label(body, 0))! }));
}
