import { measure } from "../harness/measure";
import type { IterationCount } from "../run-plan";
import { handRolledSavepoint } from "../strategies/hand-rolled-savepoint";
import { perTestRollback } from "../strategies/per-test-rollback";
import type { StrategyDefinition } from "../strategies/strategy";
import { realisticBodyWithoutSaveTransactions, BODIES, type NamedBody } from "../workload/test-bodies";
import { statementsPerTest, strategyTask, type StrategyMeasurement } from "./strategy-suite";

/**
 * Where the realistic body's extra time goes: strategy 1 with the realistic body, with the same
 * body whose saves open no transaction of their own, and the floor (whose saves never open one:
 * its runner is already in a transaction), interleaved in rounds.
 */
export async function runSaveTransactionsSuite(
  count: IterationCount,
  fixtureRows: number,
  rounds: number,
  onProgress?: (label: string, round: number) => void,
): Promise<StrategyMeasurement[]> {
  const realistic = BODIES.find((body) => body.key === "realistic")!;
  const cases: [StrategyDefinition, NamedBody][] = [
    [perTestRollback, realistic],
    [perTestRollback, realisticBodyWithoutSaveTransactions],
    [handRolledSavepoint, realistic],
  ];
  const options = { engine: "sqlite" as const, fixtureRows };
  const label = (strategy: StrategyDefinition, body: NamedBody) => `sqlite: ${strategy.id} ${body.key}`;
  const summaries = await measure(
    cases.map(([strategy, body]) => strategyTask(options, strategy, body, count, label(strategy, body))),
    { rounds, onProgress },
  );
  const measurements: StrategyMeasurement[] = [];
  for (const [strategy, body] of cases) {
    const statements = await statementsPerTest(options, strategy, body);
    measurements.push({ strategy, body, summary: summaries.get(label(strategy, body))!, statements });
  }
  return measurements;
}
