import { perTestRollback } from "../strategies/per-test-rollback";
import { realisticBody } from "../workload/test-bodies";

export interface MemoryReading {
  readonly tests: number;
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
}

export interface MemoryGrowth {
  readonly first: MemoryReading;
  readonly last: MemoryReading;
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("The memory suite needs node --expose-gc (npm run bench passes it).");
  // Twice: the first pass may only queue finalizers whose objects the second one frees.
  gc();
  gc();
}

function read(tests: number): MemoryReading {
  collectGarbage();
  const usage = process.memoryUsage();
  return { tests, heapUsedBytes: usage.heapUsed, rssBytes: usage.rss };
}

/**
 * A long suite: strategy 1 with the realistic body, `total` tests in one group, the heap read
 * (after a full GC) after `first` tests and at the end. Not timed.
 */
export async function runMemorySuite(fixtureRows: number, first: number, total: number): Promise<MemoryGrowth> {
  const strategy = perTestRollback.create({ engine: "sqlite", fixtureRows });
  await strategy.beginGroup();
  try {
    for (let i = 0; i < first; i++) await strategy.runTest(realisticBody);
    const firstReading = read(first);
    for (let i = first; i < total; i++) await strategy.runTest(realisticBody);
    return { first: firstReading, last: read(total) };
  } finally {
    await strategy.endGroup();
  }
}
