import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The read-your-writes state of one pinning scope (an HTTP request, a job), shared by the scopes
 * nested in it: a write anywhere in it pins the rest of it, and the scopes it runs in, to the
 * primary.
 */
export class PinState {
  private written = false;

  constructor(
    /** Until when (epoch milliseconds) reads go to the primary without a write of this scope; a pin cookie's expiry. */
    readonly pinnedUntil: number | undefined,
    private readonly parent: PinState | undefined,
  ) {}

  /** Whether the scope wrote: `markWrite()`, a write request, or a write statement that reached the master. */
  get wrote(): boolean {
    return this.written;
  }

  /** Whether the scope's reads go to the primary now. */
  get readsFromPrimary(): boolean {
    const pinned = this.pinnedUntil !== undefined && Date.now() < this.pinnedUntil;
    return this.written || pinned || (this.parent?.readsFromPrimary ?? false);
  }

  markWrote(): void {
    this.written = true;
    this.parent?.markWrote();
  }
}

/** What routes the reads of the code running now: `usePrimary` scopes and pinning scopes. */
interface RoutingScope {
  readonly primary: boolean;
  readonly pin: PinState | undefined;
}

const storage = new AsyncLocalStorage<RoutingScope>();

/** Whether a read TypeORM would send to a replica goes to the primary here. */
export function readsFromPrimary(): boolean {
  const scope = storage.getStore();
  return scope !== undefined && (scope.primary || (scope.pin?.readsFromPrimary ?? false));
}

/** The innermost pinning scope around the code running now. */
export function currentPin(): PinState | undefined {
  return storage.getStore()?.pin;
}

/** Runs `fn` with every replica read going to the primary, keeping the pinning scope it runs in. */
export function runOnPrimary<T>(fn: () => T): T {
  return storage.run({ primary: true, pin: currentPin() }, fn);
}

/** Runs `fn` in the pinning scope `pin`, keeping a `usePrimary` scope it runs in. */
export function runPinned<T>(pin: PinState, fn: () => T): T {
  return storage.run({ primary: storage.getStore()?.primary ?? false, pin }, fn);
}
