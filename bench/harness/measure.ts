import { Bench } from "tinybench";
import { summarize, type Summary } from "./statistics";

/**
 * One thing to time: `fn` is one iteration. `beforeAll` / `afterAll` bracket each round's
 * iterations and `afterRounds` runs once after the last round (or a failure), all untimed.
 */
export interface MeasuredTask {
  readonly label: string;
  readonly iterations: number;
  /** Untimed iterations before the first round. */
  readonly warmup: number;
  readonly fn: () => Promise<unknown>;
  readonly beforeAll?: () => Promise<void>;
  readonly afterAll?: () => Promise<void>;
  readonly afterRounds?: () => Promise<void>;
}

export interface MeasureOptions {
  /**
   * The tasks' iterations are split over this many rounds, and every round runs every task, each
   * round in a rotated order: load from other processes on the machine then falls on every task
   * alike, and ratios between the tasks stay meaningful.
   */
  readonly rounds: number;
  /** Called after each task's round, e.g. to show progress. */
  readonly onProgress?: (label: string, round: number) => void;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Times `tasks` with tinybench and returns the summary of each, by label, from all rounds' samples. */
export async function measure(tasks: readonly MeasuredTask[], options: MeasureOptions): Promise<Map<string, Summary>> {
  try {
    return await measureRounds(tasks, options);
  } finally {
    for (const task of tasks) await task.afterRounds?.();
  }
}

async function measureRounds(tasks: readonly MeasuredTask[], options: MeasureOptions): Promise<Map<string, Summary>> {
  const samples = new Map<string, number[]>(tasks.map((task) => [task.label, []]));
  for (let round = 0; round < options.rounds; round++) {
    const order = tasks.map((_, i) => tasks[(i + round) % tasks.length]!);
    for (const task of order) {
      const iterations = Math.max(1, Math.round(task.iterations / options.rounds));
      const bench = new Bench({
        iterations,
        time: 0,
        warmup: round === 0 && task.warmup > 0,
        warmupIterations: task.warmup,
        warmupTime: 0,
        throws: true,
      });
      // An async function: tinybench calls any other function once, at add(), to see whether it returns a promise.
      const fn = async () => {
        await task.fn();
      };
      bench.add(task.label, fn, { beforeAll: task.beforeAll, afterAll: task.afterAll });
      // Garbage left by the previous task is collected outside the timed iterations.
      collectGarbage();
      await bench.run();
      const result = bench.tasks[0]!.result;
      if (result?.error) throw result.error;
      samples.get(task.label)!.push(...(result?.latency.samples ?? []));
      options.onProgress?.(task.label, round);
    }
  }
  return new Map([...samples].map(([label, values]) => [label, summarize(values)]));
}
