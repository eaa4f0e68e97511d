import { ConnectionWaitTimeoutError } from "../errors/connection-wait-timeout-error";
import { CallSite } from "./call-site";
import type { ConnectionClient } from "./connection-client";
import type { Flow } from "./async-flow";

/** The right to use the connection: for one statement, or for a whole transaction. */
export class Lease {
  readonly since = Date.now();
  /** The statement running under a statement lease, for diagnostics. */
  sql: string | undefined;

  constructor(
    readonly client: ConnectionClient,
    readonly kind: "statement" | "transaction",
    readonly flow: Flow | undefined,
    /** Where a transaction lease was asked for (when it was asked, not when it was granted). */
    private readonly site: CallSite | undefined,
  ) {}

  describe(): string {
    const held = `${this.client.describe()} has held the connection for ${Date.now() - this.since} ms`;
    if (this.kind === "statement") return `${held}, running: ${this.sql ?? "(unknown statement)"}`;
    return `${held} in an open transaction, acquired at:\n${this.site ?? ""}`;
  }
}

interface Waiter {
  readonly client: ConnectionClient;
  readonly kind: Lease["kind"];
  readonly flow: Flow | undefined;
  readonly site: CallSite | undefined;
  readonly since: number;
  readonly resolve: (lease: Lease | undefined) => void;
  readonly reject: (error: Error) => void;
}

/**
 * FIFO turn-taking on the one connection (the seed's `TEST_CONNECTION_QUEUE`, Rails'
 * `lock_threads`).
 *
 * Leases form a stack. A transaction lease is held until the transaction ends; the holder's own
 * statements, and those of flows nested in its flow, pass through. A nested flow that opens a
 * transaction pushes a lease of its own, so two nested siblings still take turns with each other.
 * Everyone else waits, in arrival order.
 *
 * `timeoutMs` bounds how long one holder keeps the connection while others wait: a stuck or
 * forgotten transaction, or a flow awaiting work that waits for it. It does not bound how long a
 * queue takes to drain: every time the connection changes hands, the holder's clock starts again,
 * as a production pool's queue of quick statements never times out.
 */
export class ConnectionLock {
  private readonly leases: Lease[] = [];
  private readonly waiters: Waiter[] = [];
  /** The outermost lease, watched while others wait for it, and since when it blocks them. */
  private watched: { lease: Lease; since: number; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** The innermost lease, if the connection is taken. */
  get holder(): Lease | undefined {
    return this.leases[this.leases.length - 1];
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Takes the connection for `client`, whose work belongs to `flow`. Resolves `undefined` when a
   * statement passes through under the current transaction lease: there is nothing to release.
   */
  acquire(client: ConnectionClient, kind: Lease["kind"], flow: Flow | undefined): Promise<Lease | undefined> {
    const now = this.tryAcquire(client, kind, flow);
    if (now !== false) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const site = kind === "transaction" ? new CallSite(ConnectionLock.prototype.acquire) : undefined;
      this.waiters.push({ client, kind, flow, site, since: Date.now(), resolve, reject });
      this.watch();
    });
  }

  /**
   * {@link acquire} without a promise, for the common case of a free connection (every statement
   * asks): `false` when `client` has to wait, and must call `acquire`.
   */
  tryAcquire(client: ConnectionClient, kind: Lease["kind"], flow: Flow | undefined): Lease | undefined | false {
    const holder = this.holder;
    if (holder ? !passesThrough(holder, client, flow) : this.waiters.length > 0) return false;
    if (kind === "statement") return holder ? undefined : this.push(client, kind, flow, undefined);
    return this.push(client, kind, flow, new CallSite(ConnectionLock.prototype.tryAcquire));
  }

  /** Fails the waiters `matches` selects (clients of a test that ended), so they never run later. */
  rejectWaiters(matches: (client: ConnectionClient) => boolean, error: (client: ConnectionClient) => Error): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (!matches(waiter.client)) continue;
      this.waiters.splice(i, 1);
      waiter.reject(error(waiter.client));
    }
    this.watch();
  }

  /**
   * Forgets every lease and fails every waiter with `error` (the connection is closing): nothing
   * waits for a holder that will never release, and the next user starts with a free connection.
   */
  reset(error: (client: ConnectionClient) => Error): void {
    this.leases.length = 0;
    this.rejectWaiters(() => true, error);
  }

  /** Ends `lease` and every lease nested in it, then lets the next waiters in. */
  release(lease: Lease): void {
    const index = this.leases.indexOf(lease);
    if (index < 0) return;
    this.leases.splice(index);
    this.admitWaiters();
  }

  private push(client: ConnectionClient, kind: Lease["kind"], flow: Flow | undefined, site: CallSite | undefined): Lease {
    const lease = new Lease(client, kind, flow, site);
    this.leases.push(lease);
    return lease;
  }

  private admitWaiters(): void {
    try {
      this.admitNext();
    } finally {
      this.watch();
    }
  }

  private admitNext(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const waiter = this.waiters[i]!;
      const holder = this.holder;
      if (holder && !passesThrough(holder, waiter.client, waiter.flow)) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      if (waiter.kind === "statement" && holder) {
        waiter.resolve(undefined);
        continue;
      }
      waiter.resolve(this.push(waiter.client, waiter.kind, waiter.flow, waiter.site));
      return;
    }
  }

  /**
   * Keeps one timer on the outermost lease while anyone waits: it fires `timeoutMs` after that
   * lease started blocking them, unless the connection changed hands before.
   */
  private watch(): void {
    const holder = this.leases[0];
    if (this.watched && (this.watched.lease !== holder || this.waiters.length === 0)) {
      clearTimeout(this.watched.timer);
      this.watched = undefined;
    }
    if (this.watched || !holder || this.waiters.length === 0) return;
    const timer = setTimeout(() => this.timeOut(holder), this.timeoutMs);
    timer.unref?.();
    this.watched = { lease: holder, since: Date.now(), timer };
  }

  /** `holder` kept the connection for `timeoutMs` while others waited: they give up, naming it. */
  private timeOut(holder: Lease): void {
    this.watched = undefined;
    if (this.leases[0] !== holder) return this.watch();
    const holding = this.holder!.describe();
    const waiters = this.waiters.splice(0);
    const now = Date.now();
    for (const waiter of waiters) waiter.reject(new ConnectionWaitTimeoutError(now - waiter.since, waiter.client.describe(), holding));
  }
}

function passesThrough(holder: Lease, client: ConnectionClient, flow: Flow | undefined): boolean {
  if (holder.kind !== "transaction") return false;
  if (holder.client === client) return true;
  return flow !== undefined && holder.flow !== undefined && flow.isWithin(holder.flow);
}
