import { AsyncLocalStorage, executionAsyncResource } from "node:async_hooks";

/**
 * One logical thread of work (an async call chain). A runner that opens a transaction starts a
 * flow; statements issued from that flow or from flows nested in it may use the connection while
 * the transaction holds it, instead of waiting for it (and deadlocking).
 */
export class Flow {
  private ended = false;

  constructor(
    readonly parent: Flow | undefined,
    /** The async resource this flow was entered on; `undefined` for flows entered with `run`. */
    readonly enteredOn: object | undefined,
  ) {}

  get isEnded(): boolean {
    return this.ended;
  }

  end(): void {
    this.ended = true;
  }

  /** True if this flow is `ancestor` or runs inside it. */
  isWithin(ancestor: Flow): boolean {
    return this === ancestor || (this.parent?.isWithin(ancestor) ?? false);
  }
}

const storage = new AsyncLocalStorage<Flow>();

export function currentFlow(): Flow | undefined {
  return storage.getStore();
}

/**
 * The nearest flow that can be a parent of a flow starting here. Ended flows are skipped so chains
 * stay as deep as the nesting, not as long as the history. A flow entered on this very async
 * resource was started by a sibling in the same synchronous tick (`Promise.all(items.map(async …))`
 * runs every callback's first step on the caller's resource), so it is skipped too: siblings must
 * wait for each other, not pass through.
 */
function parentForNewFlow(resource: object): Flow | undefined {
  let parent = storage.getStore();
  while (parent && (parent.isEnded || parent.enteredOn === resource)) parent = parent.parent;
  return parent;
}

/**
 * Starts a flow for the rest of the calling async function. Must be called synchronously by the
 * code that opens the transaction (before its first `await`), so the caller's continuation, and
 * everything it starts, belongs to the flow.
 */
export function enterNewFlow(): Flow {
  const resource = executionAsyncResource();
  const flow = new Flow(parentForNewFlow(resource), resource);
  storage.enterWith(flow);
  return flow;
}

/**
 * Runs `fn` in a child scope of the current flow, so flows that `fn` enters synchronously do not
 * leak into the caller's continuation (used around `EntityManager.transaction`).
 */
export function runIsolated<T>(fn: () => T): T {
  return storage.run(new Flow(parentForNewFlow(executionAsyncResource()), undefined), fn);
}
