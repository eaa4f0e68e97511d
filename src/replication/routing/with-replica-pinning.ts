import { InvalidRoutingOptionError } from "../../errors/invalid-routing-option-error";
import { currentPin, PinState, runPinned } from "./routing-scope";

/**
 * A read-your-writes scope, as {@link withReplicaPinning} hands it to its function.
 *
 * @example
 * ```ts
 * await withReplicaPinning(async (scope) => {
 *   await orders.insert(order);
 *   scope.readsFromPrimary; // true: the insert reached the master
 * });
 * ```
 */
export interface ReplicaPinningScope {
  /** Whether the scope wrote: a write statement reached the master, or `markWrite()` was called in it. */
  readonly wrote: boolean;
  /** Whether its replica reads go to the primary now: it wrote, or it runs before its `pinnedUntil`. */
  readonly readsFromPrimary: boolean;
}

/**
 * Options of {@link withReplicaPinning}.
 *
 * @example
 * ```ts
 * await withReplicaPinning(() => handle(message), { pinnedUntil: message.pinnedUntil });
 * ```
 */
export interface WithReplicaPinningOptions {
  /**
   * Until when (epoch milliseconds) the scope reads from the primary even before it writes: for a
   * job queued by a request that wrote, pass that request's write time plus the pinning seconds.
   * The default is `undefined`: replica reads go to replicas until the scope writes.
   */
  readonly pinnedUntil?: number;
}

/**
 * Runs `fn` in a read-your-writes scope, without HTTP (jobs, message consumers, scripts): once a
 * write statement reaches the master of a DataSource with replica routing, or `markWrite()` is
 * called, every later replica read of the scope, and of everything it started, goes to the
 * primary. `replicaPinning` runs each HTTP request in one. Scopes nest: a write in an inner scope
 * pins the outer ones too. Returns what `fn` returns.
 *
 * @throws InvalidRoutingOptionError when `pinnedUntil` is not a finite number.
 *
 * @example
 * ```ts
 * await withReplicaPinning(async () => {
 *   await users.update(id, { plan: "pro" });
 *   return users.findOneByOrFail({ id }); // from the primary: this scope wrote
 * });
 * ```
 */
export function withReplicaPinning<T>(fn: (scope: ReplicaPinningScope) => T, options: WithReplicaPinningOptions = {}): T {
  const { pinnedUntil } = options;
  if (pinnedUntil !== undefined && !Number.isFinite(pinnedUntil)) {
    throw new InvalidRoutingOptionError("pinnedUntil", pinnedUntil, "a time in epoch milliseconds (Date.now() + …), or undefined");
  }
  const pin = new PinState(pinnedUntil, currentPin());
  return runPinned(pin, () => fn(pin));
}

/**
 * Marks the current pinning scope (an HTTP request under `replicaPinning`, or a
 * `withReplicaPinning` scope) as having written, for writes routing cannot see: a write through
 * another client, a queue, a cache. The rest of the scope reads from the primary, and an HTTP
 * request sets its pin cookie. Returns `false`, doing nothing, outside every pinning scope.
 *
 * @example
 * ```ts
 * app.get("/confirm/:token", async (req, res) => {
 *   await paymentsClient.capture(req.params.token); // a write routing cannot see
 *   markWrite(); // this request, and its user agent for the pinning seconds, read from the primary
 *   res.json(await payments.findOneByOrFail({ token: req.params.token }));
 * });
 * ```
 */
export function markWrite(): boolean {
  const pin = currentPin();
  if (!pin) return false;
  pin.markWrote();
  return true;
}
