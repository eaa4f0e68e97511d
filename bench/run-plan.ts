/** Timed iterations of one task (split over the rounds), and untimed warm-up iterations before them. */
export interface IterationCount {
  readonly iterations: number;
  readonly warmup: number;
}

/** Iteration counts of one kind of task: for the realistic bodies and for the one-SELECT body. */
export type ByBody = Readonly<Record<"realistic" | "one-select", IterationCount>>;

/** The counts of `bodyKey`: the one-SELECT body's, or the realistic ones' for every body that writes. */
export function countFor(counts: ByBody, bodyKey: string): IterationCount {
  return bodyKey === "one-select" ? counts["one-select"] : counts.realistic;
}

/** The classification suite: rounds, and how often each round classifies the whole statement mix. */
export interface ClassificationCounts {
  readonly rounds: number;
  readonly repetitions: number;
}

/** How much of everything one run measures. */
export interface RunPlan {
  readonly name: "full" | "smoke";
  /** Every suite splits its iterations over this many rounds (see `measure`). */
  readonly rounds: number;
  /** Rounds of the suites that compare two variants a few percent apart (per-query overhead, replication). */
  readonly pairedRounds: number;
  /** Rounds of the suites whose groups cannot stay open between rounds (Postgres, the floor's fresh groups). */
  readonly postgresRounds: number;
  /** Fixture rows of the main table, and of the large-fixture table. */
  readonly fixtureRows: number;
  readonly largeFixtureRows: number;
  /** Strategies that cost about a test body: 1, 5, 6 and the bare driver reference. */
  readonly fast: ByBody;
  /** Strategies that rebuild data per test: 2, 3 and 4. */
  readonly slow: ByBody;
  /** Strategy 2 with the large fixtures. */
  readonly slowLargeFixtures: ByBody;
  /** Per-query overhead: each query kind on each runner. */
  readonly queries: IterationCount;
  /** The floor with and without RELEASE: tests a group runs before its late tests are measured; measured tests of each kind. */
  readonly floorGrowth: { readonly testsBefore: number; readonly measured: number };
  /** Memory: the heap is read after `first` and after `total` tests of one group. */
  readonly memory: { readonly first: number; readonly total: number };
  /** Replica lag: insert + sync at two fixture sizes, and replica reads in both modes. */
  readonly replicaLag: IterationCount;
  /** Statement classification (the replica guard's tokenizer), cold and warm. */
  readonly classification: ClassificationCounts;
  /** Postgres database base name: the library's engine runs in `test_<name>`. */
  readonly postgresDatabase: string;
}

const both = (iterations: number, warmup: number): ByBody => ({
  realistic: { iterations, warmup },
  "one-select": { iterations: iterations * 4, warmup: warmup * 4 },
});

export const FULL_PLAN: RunPlan = {
  name: "full",
  rounds: 40,
  pairedRounds: 40,
  postgresRounds: 5,
  fixtureRows: 1_000,
  largeFixtureRows: 10_000,
  fast: both(1_200, 60),
  slow: { realistic: { iterations: 60, warmup: 3 }, "one-select": { iterations: 60, warmup: 3 } },
  slowLargeFixtures: { realistic: { iterations: 20, warmup: 2 }, "one-select": { iterations: 20, warmup: 2 } },
  queries: { iterations: 8_000, warmup: 400 },
  floorGrowth: { testsBefore: 1_000, measured: 200 },
  memory: { first: 1_000, total: 10_000 },
  replicaLag: { iterations: 2_000, warmup: 100 },
  classification: { rounds: 20, repetitions: 200 },
  postgresDatabase: "bench",
};

const once: ByBody = { realistic: { iterations: 1, warmup: 0 }, "one-select": { iterations: 1, warmup: 0 } };

/**
 * The same code with tiny counts and small fixtures, no warm-up: proves every suite and the report
 * still run, in seconds. Its timings mean nothing.
 */
export const SMOKE_PLAN: RunPlan = {
  name: "smoke",
  rounds: 1,
  pairedRounds: 1,
  postgresRounds: 1,
  fixtureRows: 100,
  largeFixtureRows: 400,
  fast: both(2, 0),
  slow: once,
  slowLargeFixtures: once,
  queries: { iterations: 3, warmup: 0 },
  floorGrowth: { testsBefore: 2, measured: 1 },
  memory: { first: 2, total: 4 },
  replicaLag: { iterations: 2, warmup: 0 },
  classification: { rounds: 1, repetitions: 1 },
  postgresDatabase: `bench_smoke_${process.pid}`,
};
