import { measure, type MeasuredTask } from "../harness/measure";
import { countStatements } from "../harness/statement-counter";
import type { Summary } from "../harness/statistics";
import { countFor, type ByBody, type IterationCount } from "../run-plan";
import type { Strategy, StrategyDefinition, StrategyOptions } from "../strategies/strategy";
import type { NamedBody } from "../workload/test-bodies";

/** One strategy running one test body, measured. `body` is undefined for the bare driver reference. */
export interface StrategyMeasurement {
  readonly strategy: StrategyDefinition;
  readonly body: NamedBody | undefined;
  readonly summary: Summary;
  /** Statements sent to the database by one test (driver round trips), counted on an untimed test. */
  readonly statements: number;
}

/** Strategies that run with the same options (engine, fixture rows), each with its iteration counts. */
export interface StrategySection {
  readonly options: StrategyOptions;
  readonly strategies: readonly { readonly definition: StrategyDefinition; readonly counts: ByBody }[];
}

export interface StrategySuite {
  /** Measured together, interleaved in rounds, so ratios across sections hold as well as within them. */
  readonly sections: readonly StrategySection[];
  readonly bodies: readonly NamedBody[];
  readonly rounds: number;
  /** Keep each task's group open across rounds (see {@link strategyTask}). The default value is `true`. */
  readonly persistentGroups?: boolean;
  readonly onProgress?: (label: string, round: number) => void;
}

/**
 * The task of one strategy with one body. `beginGroup` (fixtures created once where the strategy
 * creates them once) and `endGroup` are untimed. A persistent group is opened before the first
 * round and ended after the last, so rounds cost no setup and can be many and short; otherwise each
 * round gets a group of its own (needed where open groups would block each other, as on a server).
 */
export function strategyTask(
  options: StrategyOptions,
  definition: StrategyDefinition,
  body: NamedBody,
  count: IterationCount,
  label: string,
  persistentGroup = true,
): MeasuredTask {
  let strategy: Strategy | undefined;
  const endGroup = async () => {
    const group = strategy;
    strategy = undefined;
    await group?.endGroup();
  };
  return {
    label,
    ...count,
    beforeAll: async () => {
      if (strategy) return;
      strategy = definition.create(options);
      await strategy.beginGroup();
    },
    afterAll: persistentGroup ? undefined : endGroup,
    afterRounds: endGroup,
    fn: () => strategy!.runTest(body.run),
  };
}

/**
 * Runs every strategy of every section with every body (the bare driver reference, id "ref", once,
 * without a body), all in one interleaved measurement; returns the measurements of each section.
 */
export async function runStrategySuite(suite: StrategySuite): Promise<StrategyMeasurement[][]> {
  const planned: { section: number; label: string; strategy: StrategyDefinition; body: NamedBody | undefined; task: MeasuredTask }[] = [];
  suite.sections.forEach(({ options, strategies }, section) => {
    for (const { definition, counts } of strategies) {
      const reference = definition.id === "ref";
      for (const body of reference ? suite.bodies.slice(0, 1) : suite.bodies) {
        const label = `${options.engine} ${options.fixtureRows} rows: ${definition.id}${reference ? "" : ` ${body.key}`}`;
        const task = strategyTask(options, definition, body, countFor(counts, body.key), label, suite.persistentGroups ?? true);
        planned.push({ section, label, strategy: definition, body: reference ? undefined : body, task });
      }
    }
  });
  const summaries = await measure(
    planned.map((p) => p.task),
    { rounds: suite.rounds, onProgress: suite.onProgress },
  );
  const sections: StrategyMeasurement[][] = suite.sections.map(() => []);
  for (const p of planned) {
    const statements = await statementsPerTest(suite.sections[p.section]!.options, p.strategy, p.body ?? suite.bodies[0]!);
    sections[p.section]!.push({ strategy: p.strategy, body: p.body, summary: summaries.get(p.label)!, statements });
  }
  return sections;
}

/** The statements of the second test of a group (the first may differ: lazy savepoints of the group). */
export async function statementsPerTest(options: StrategyOptions, definition: StrategyDefinition, body: NamedBody): Promise<number> {
  const strategy = definition.create(options);
  await strategy.beginGroup();
  try {
    await strategy.runTest(body.run);
    return await countStatements(() => strategy.runTest(body.run));
  } finally {
    await strategy.endGroup();
  }
}

/** The measurement of `strategyId` with `bodyKey` ("none" for the reference). */
export function find(
  measurements: readonly StrategyMeasurement[],
  strategyId: string,
  bodyKey: NamedBody["key"] | "none",
): Summary | undefined {
  return measurements.find((m) => m.strategy.id === strategyId && (m.body?.key ?? "none") === bodyKey)?.summary;
}
