/** The part of a Vitest test's context the adapter reads: its task (the test) and how it went so far. */
export interface VitestTestContext {
  readonly task: {
    readonly name: string;
    readonly fullTestName?: string | undefined;
    readonly result?: { readonly state?: string } | undefined;
  };
}

/**
 * The hooks of Vitest the adapter uses, described structurally so the CommonJS build does not load
 * Vitest (an ES module only package); `typeorm-shared-replication/vitest` passes Vitest's own, and
 * type-checks them against this shape.
 */
export interface VitestHooks {
  beforeAll(fn: () => Promise<void>): void;
  afterAll(fn: () => Promise<void>): void;
  /** Vitest 4.1 and later; wraps the before-each hooks, the test body and the after-each hooks. */
  aroundEach?(fn: (runTest: () => Promise<void>, context: VitestTestContext) => Promise<void>): void;
}
