import { AsyncLocalStorage } from "node:async_hooks";

/**
 * One test's async scope: the test body runs inside it, and so does everything the body starts
 * (promises, timers, runners). Once the test ends, work still running in its scope is refused
 * instead of landing in whichever test runs next.
 */
export class TestScope {
  private ended = false;

  constructor(
    /** The id `beginTest()` returned. */
    readonly testId: number,
    /** The test's title, when the adapter knows it. */
    readonly title: string | undefined,
  ) {}

  get isEnded(): boolean {
    return this.ended;
  }

  end(): void {
    this.ended = true;
  }

  /** Runs `fn` (the test body) in this scope. */
  run<T>(fn: () => T): T {
    return storage.run(this, fn);
  }
}

const storage = new AsyncLocalStorage<TestScope>();

/** The scope of the test whose body (or work it started) is running, if any. */
export function currentTestScope(): TestScope | undefined {
  return storage.getStore();
}
