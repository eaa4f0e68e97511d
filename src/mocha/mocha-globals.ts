import { SharedReplicationError } from "../errors/shared-replication-error";
import type { TestFunction } from "../testing/wrap-test-function";

type Hook = (fn: (this: MochaContext) => unknown) => void;

/** The part of mocha's hook context the adapters use. */
export interface MochaContext {
  currentTest?: { fn?: TestFunction; title?: string };
  /** The running hook or test; in a hook, its `parent` is the suite. */
  test?: { parent?: unknown };
}

/** Mocha's BDD globals, described structurally so the library does not depend on mocha's types. */
export interface MochaGlobals {
  describe(title: string, fn: () => void): unknown;
  it(title: string, fn: (this: MochaContext) => unknown): unknown;
  before: Hook;
  after: Hook;
  beforeEach: Hook;
  afterEach: Hook;
}

/** Mocha's globals, or an error saying where the call has to come from. */
export function mochaGlobals(caller: string): MochaGlobals {
  const scope = globalThis as unknown as Partial<MochaGlobals>;
  for (const name of ["describe", "it", "before", "after", "beforeEach", "afterEach"] as const) {
    if (typeof scope[name] !== "function") {
      throw new SharedReplicationError(
        `${caller} must be called while mocha loads a test file (mocha's "${name}" is not defined). ` +
          "With another test runner, use TestIsolation directly.",
      );
    }
  }
  return scope as MochaGlobals;
}
