import { measure, type MeasuredTask } from "../harness/measure";
import type { Summary } from "../harness/statistics";
import type { RunPlan } from "../run-plan";
import { handRolledSavepoint, handRolledSavepointReleased } from "../strategies/hand-rolled-savepoint";
import type { Strategy, StrategyDefinition } from "../strategies/strategy";
import { realisticBody } from "../workload/test-bodies";

export interface FloorGrowth {
  readonly strategy: StrategyDefinition;
  /** The first tests of a fresh group. */
  readonly early: Summary;
  /** Tests of a group that had already run `testsBefore` tests. */
  readonly late: Summary;
}

/** A fresh group per round: its first tests. */
function earlyTask(definition: StrategyDefinition, fixtureRows: number, iterations: number): MeasuredTask {
  let strategy: Strategy | undefined;
  return {
    label: `${definition.id} early`,
    iterations,
    warmup: 0,
    beforeAll: async () => {
      strategy = definition.create({ engine: "sqlite", fixtureRows });
      await strategy.beginGroup();
    },
    afterAll: async () => {
      await strategy?.endGroup();
    },
    fn: () => strategy!.runTest(realisticBody),
  };
}

/** One group for all rounds, which first runs `testsBefore` tests untimed. */
function lateTask(definition: StrategyDefinition, fixtureRows: number, iterations: number, testsBefore: number): MeasuredTask {
  let strategy: Strategy | undefined;
  return {
    label: `${definition.id} late`,
    iterations,
    warmup: 0,
    beforeAll: async () => {
      if (strategy) return;
      strategy = definition.create({ engine: "sqlite", fixtureRows });
      await strategy.beginGroup();
      for (let i = 0; i < testsBefore; i++) await strategy.runTest(realisticBody);
    },
    afterRounds: async () => {
      await strategy?.endGroup();
    },
    fn: () => strategy!.runTest(realisticBody),
  };
}

/**
 * Whether the floor's savepoints, never released, slow it down over a long group: the realistic
 * body in the first tests of a group and after `testsBefore` tests of the same group, without and
 * with RELEASE, all four interleaved in rounds.
 */
export async function runFloorGrowthSuite(plan: RunPlan, onProgress?: (label: string, round: number) => void): Promise<FloorGrowth[]> {
  const { testsBefore, measured } = plan.floorGrowth;
  const definitions = [handRolledSavepoint, handRolledSavepointReleased];
  const summaries = await measure(
    definitions.flatMap((definition) => [
      earlyTask(definition, plan.fixtureRows, measured),
      lateTask(definition, plan.fixtureRows, measured, testsBefore),
    ]),
    { rounds: plan.postgresRounds, onProgress },
  );
  return definitions.map((strategy) => ({
    strategy,
    early: summaries.get(`${strategy.id} early`)!,
    late: summaries.get(`${strategy.id} late`)!,
  }));
}
