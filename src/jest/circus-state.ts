import type { Circus } from "@jest/types";
import { SharedReplicationError } from "../errors/shared-replication-error";

/** jest-circus keeps its state on the test file's global, under a symbol of this description (Jest 27 to 30). */
const STATE_SYMBOL = "JEST_STATE_SYMBOL";

/**
 * The test jest-circus is running, for the before-each hook to wrap its body: Jest has no hook
 * around a test body, but circus calls the test's `fn` after the before-each hooks, as mocha does.
 * Circus records that test as its state's `currentlyRunningTest` from `test_start` on.
 *
 * @throws SharedReplicationError when Jest does not run jest-circus (its default runner since Jest 27).
 */
export function runningCircusTest(caller: string): () => Circus.TestEntry | undefined {
  if (!circusState()) {
    throw new SharedReplicationError(
      `${caller} needs jest-circus, Jest's default test runner, and found none: call it from a Jest test file or a file of ` +
        `"setupFilesAfterEnv", and remove a "testRunner" setting that names another runner (jest-jasmine2 is not supported).`,
    );
  }
  return () => circusState()?.currentlyRunningTest ?? undefined;
}

/**
 * Moves the after-each hook whose function is `fn` to the end of its describe block's hooks.
 * Circus runs a block's after-each hooks in the order they were registered, so hooks the
 * application registers after the library's (in the same block, or at the top of a test file after
 * a setup file's) would otherwise run after the test's rollback, and their writes would land in the
 * next test. Called from the block's before-all hook, when every hook is registered and before any
 * test of the block collects its hooks. If circus's shape is not what this expects, nothing moves.
 */
export function runAfterEachHookLast(fn: unknown): void {
  const block = blockWithHook(circusState()?.rootDescribeBlock, fn);
  if (!block) return;
  const index = block.hooks.findIndex((hook) => hook.fn === fn);
  block.hooks.push(...block.hooks.splice(index, 1));
}

function blockWithHook(block: Circus.DescribeBlock | undefined, fn: unknown): Circus.DescribeBlock | undefined {
  if (!block || !Array.isArray(block.hooks) || !Array.isArray(block.children)) return undefined;
  if (block.hooks.some((hook) => hook.fn === fn)) return block;
  for (const child of block.children) {
    const found = child.type === "describeBlock" ? blockWithHook(child, fn) : undefined;
    if (found) return found;
  }
  return undefined;
}

function circusState(): Circus.State | undefined {
  const scope = globalThis as unknown as Record<symbol, unknown>;
  const symbol = Object.getOwnPropertySymbols(globalThis).find((candidate) => candidate.description === STATE_SYMBOL);
  const state = symbol === undefined ? undefined : scope[symbol];
  return typeof state === "object" && state !== null && "currentlyRunningTest" in state ? (state as Circus.State) : undefined;
}
