import { ReplicaLagError } from "../../errors/replica-lag-error";
import type { CapturedTable, LagDialect, LagExecution, ReplicaNames, SchemaObject } from "./lag-dialect";
import { PostgresLagDialect } from "./postgres-lag-dialect";
import type { ResolvedLag } from "./replica-lag";
import { SqliteLagDialect } from "./sqlite-lag-dialect";

export type { LagExecution } from "./lag-dialect";

/** Where the replicas' copies live: attached SQLite databases, or schemas of the Postgres database. */
export type LagDialectName = "sqlite" | "postgres";

/** A replica read, routed: the statement the engine runs, and how many commits the replica is behind. */
export interface RoutedRead {
  readonly sql: string;
  readonly commitsBehind: number;
}

interface ReplicaState {
  /** The last commit applied: its position in `commits` (a count) and its capture sequence. */
  appliedCommits: number;
  appliedSeq: number;
  /** When interval syncs are counted from (`Date.now()`). */
  origin: number;
  /** The interval tick the replica last caught up at: commits made after it, even in the same millisecond, wait for the next. */
  syncedTick: number;
  /** Objects of the replica schema by `type:name`, with the master DDL each was built from. */
  objects: Map<string, string>;
  /** The master's schema version (see {@link LagDialect.schemaVersion}) when the replica's schema was last brought in line. */
  schemaVersion: string;
  /** Names of the master's objects the replica cannot hold. */
  unreplicable: string[];
  /**
   * Tables copied whole since, by the capture sequence they were copied at: they hold the master's
   * changes up to it, which a sync must not apply to them again.
   */
  copiedAt: Map<string, number>;
}

/** Everything the controller knows; a test's or group's end puts back what it was when it began. */
interface LagState {
  lag: ResolvedLag;
  /** True once the replica copies and the change capture exist on the connection. */
  built: boolean;
  captured: Map<string, CapturedTable>;
  nextTableId: number;
  /** Master commits since the copies were built: the capture sequence at each, and when. */
  commits: { seq: number; at: number }[];
  replicas: ReplicaState[];
  /** Writes ran since the last commit point. */
  dirty: boolean;
  /** The master's schema version when the capture was last brought in line. */
  captureSchemaVersion: string;
  /**
   * Syncs made inside application transactions: their writes to the copies are part of those
   * transactions on the one connection, and a rollback takes them back. Each keeps the state from
   * before it, the transaction depth it ran at, and the commit it brought its replica to.
   */
  provisional: Provisional[];
  /**
   * Savepoints the application opened itself inside its transactions (raw SAVEPOINT): a ROLLBACK TO
   * one takes back the syncs made since, whose count of {@link provisional} each keeps.
   */
  rawSavepoints: { name: string; depth: number; provisional: number }[];
}

/** A sync (or change of the capture) made inside an application transaction, which its rollback takes back. */
interface Provisional {
  readonly depth: number;
  readonly replica: number | undefined;
  readonly target: number;
  readonly before: LagState;
}

/** A saved {@link LagState}, for {@link LaggingReplicas.endScope}; only valid on the connection it was taken on. */
export type LagSnapshot = { readonly state: LagState; readonly connection: number };

// Savepoint around the controller's own work, so a failure leaves neither copies nor capture half-done.
const ATOMIC = "typeorm_shared_lag";

const CACHE_LIMIT = 512;
const UNKNOWN_VERSION = "";
let instances = 0;

/**
 * Replicas that fall behind the master until synced. Each replica holds a copy of the master's
 * tables on the one connection (an attached SQLite database, or a Postgres schema; see
 * {@link LagDialect}), foreign keys left out: a replica applies rows, it does not cascade.
 * Triggers capture every row the master writes, in commit order, as the row's image: a sync
 * copies the images of the commits it carries over, so generated values (`now()`, uuids,
 * sequences) are the master's, and costs what changed, not what the database holds. A commit is
 * what production commits: an application's outermost transaction ending in COMMIT, or a write
 * outside any application transaction (inside a test, the test's savepoint stands for the
 * server). Replica reads run on the connection with their tables pointed at the replica's copy,
 * checked against the engine's own plan, so a read either reaches the replica or fails, never
 * the master.
 *
 * Everything lives in the test harness's transactions: a test's end rolls the copies back with the
 * master, and {@link LaggingReplicas.endScope} puts the controller's own state back to match.
 */
export class LaggingReplicas {
  private state: LagState;
  private readonly prefix: string;
  private readonly routes: Map<string, string>[] = [];
  /** A statement that may change how names resolve ran on the connection: a rollback may change it back. */
  private resolutionTouched = false;
  private readonly names: ReplicaNames[] = [];
  private scopes = 0;
  /** Counts connections: the replicas' databases and the capture live and die with one. */
  private connection = 0;
  private attached = false;
  private readonly dialect: LagDialect;

  constructor(
    readonly replicaCount: number,
    lag: ResolvedLag,
    dialect: LagDialectName = "sqlite",
  ) {
    const id = ++instances;
    this.prefix = `typeorm_shared_lag_${id}`;
    this.dialect =
      dialect === "postgres"
        ? new PostgresLagDialect(this.prefix)
        : new SqliteLagDialect(this.prefix, replicaCount, (index) => `${this.prefix}_replica_${index}`);
    this.state = {
      lag,
      built: false,
      captured: new Map(),
      nextTableId: 0,
      commits: [],
      replicas: [],
      dirty: false,
      captureSchemaVersion: UNKNOWN_VERSION,
      provisional: [],
      rawSavepoints: [],
    };
    for (let i = 0; i < replicaCount; i++) {
      this.routes.push(new Map());
      this.names.push({ replicated: new Set(), unreplicable: new Set() });
    }
  }

  /** The lag in force. */
  get lag(): ResolvedLag {
    return this.state.lag;
  }

  /** True while replica reads go to the replicas' own copies. */
  get routesReads(): boolean {
    return this.state.built && this.state.lag.kind !== "none";
  }

  /** True while the master's writes are captured (the copies exist). */
  get captures(): boolean {
    return this.state.built;
  }

  /** The statements that give a connection the replicas' storage: run once per connection, outside any transaction. */
  attachStatements(): string[] {
    return this.dialect.attachStatements();
  }

  /** The replicas' databases were attached to a new connection. */
  connectionOpened(): void {
    this.attached = true;
  }

  /** The connection closed, and with it the copies and the capture; the lag setting stays. */
  connectionClosed(): void {
    this.copiesLost();
    this.attached = false;
  }

  /**
   * The copies and the capture are gone: the connection closed, or the session transaction of a
   * persistent engine they were built in ended. The lag setting stays, and the next scope builds
   * them again.
   */
  copiesLost(): void {
    this.connection++;
    this.state = {
      ...this.state,
      built: false,
      captured: new Map(),
      commits: [],
      replicas: [],
      dirty: false,
      captureSchemaVersion: UNKNOWN_VERSION,
      provisional: [],
      rawSavepoints: [],
    };
    for (let i = 0; i < this.replicaCount; i++) this.learnNames(i);
  }

  /**
   * A test or group begins: replicas are brought in line with the master, and the state saved.
   * `exec` may be left out while the copies do not exist (nothing to sync).
   */
  async beginScope(exec: LagExecution | undefined): Promise<LagSnapshot> {
    if (this.needsCopies) {
      if (!exec)
        throw new Error("beginScope: the lag in force needs the replicas' copies, so the scope needs the connection to build them");
      // Saved before: a scope that rolls back takes the copies built in it away.
      const before = { state: cloneState(this.state), connection: this.connection };
      await this.build(exec, "a test's start");
      this.scopes++;
      this.startIntervals();
      return before;
    }
    if (this.state.built) {
      if (!exec) throw new Error("beginScope: the replicas' copies exist, so the scope needs the connection to sync them");
      await this.syncAll(exec);
    }
    this.scopes++;
    this.startIntervals();
    return { state: cloneState(this.state), connection: this.connection };
  }

  /** True when the lag in force needs copies that do not exist (see {@link copiesLost}), and the connection can hold them. */
  get needsCopies(): boolean {
    return !this.state.built && this.state.lag.kind !== "none" && this.attached;
  }

  /**
   * Drops the copies and the capture from the database: on a persistent engine, where they were
   * built outside the session transaction (a truncating lifecycle), so nothing of them outlives
   * the tests that used them.
   */
  async dropCopies(exec: LagExecution): Promise<void> {
    if (!this.state.built || !this.dialect.dropCopies) return;
    await this.dialect.dropCopies(exec);
    this.copiesLost();
  }

  /**
   * A test or group ended. `rolledBack`: the master (and with it the copies) went back to what it
   * was at the scope's start, so everything is put back; otherwise (a truncating lifecycle, which
   * commits) only the lag setting is.
   */
  endScope(snapshot: LagSnapshot, rolledBack: boolean): void {
    this.scopes = Math.max(0, this.scopes - 1);
    if (rolledBack) this.resolutionMayHaveChanged();
    if (rolledBack && snapshot.connection === this.connection) {
      this.state = cloneState(snapshot.state);
      for (let i = 0; i < this.replicaCount; i++) this.learnNames(i);
    } else this.state.lag = snapshot.state.lag;
    this.startIntervals();
  }

  /** Replica reads see nothing new until synced; switching lag on copies the master (committed work only). */
  async setLag(exec: LagExecution, lag: ResolvedLag, where: string): Promise<void> {
    if (this.scopes === 0) {
      throw new ReplicaLagError(
        "outside-scope",
        `${where} was called outside a test or test group, where nothing would undo it. ` +
          "Call it inside a test (or a before/beforeAll hook of a group run by TransactionalTestCase, useTransactionalTests or TestIsolation), " +
          "or set replicaLag in the SharedReplicationDataSource settings for every test.",
      );
    }
    const wasRouting = this.routesReads;
    if (lag.kind !== "none" && !this.state.built) await this.build(exec, where);
    else if (lag.kind !== "none" && !wasRouting) await this.syncAll(exec);
    this.state.lag = lag;
    this.startIntervals();
  }

  /**
   * Runs `fn` inside a savepoint of its own: if it fails, what it did on the connection is rolled
   * back and the controller's state put back, so nothing is left half-synced or half-built.
   */
  private async atomically(exec: LagExecution, fn: () => Promise<void>): Promise<void> {
    const before = cloneState(this.state);
    // Outside every transaction (a truncating lifecycle on Postgres), a transaction of its own.
    const own = this.dialect.savepointsNeedTransaction && !exec.inTransaction();
    await exec.write(own ? "BEGIN" : `SAVEPOINT ${ATOMIC}`);
    try {
      await fn();
    } catch (error) {
      this.state = before;
      for (let i = 0; i < this.replicaCount; i++) this.learnNames(i);
      if (own) await exec.write("ROLLBACK");
      else {
        await exec.write(`ROLLBACK TO ${ATOMIC}`);
        await exec.write(`RELEASE ${ATOMIC}`);
      }
      throw error;
    }
    await exec.write(own ? "COMMIT" : `RELEASE ${ATOMIC}`);
  }

  /**
   * Builds the copies and the capture on a connection that has none: at `initialize()` when the
   * setting asks for lag (outside any transaction: committed), or when lag is switched on.
   */
  async build(exec: LagExecution, where = "replicaLag"): Promise<void> {
    if (!this.attached) {
      throw new ReplicaLagError(
        "open-transaction",
        `${where}: the replicas' databases could not be attached, because the DataSource joined a connection inside an open transaction. ` +
          "Initialize it before the test group begins.",
      );
    }
    if (exec.applicationDepth() > 0) throw this.openTransaction(where);
    await this.atomically(exec, () => this.buildCopies(exec, where));
  }

  private async buildCopies(exec: LagExecution, where: string): Promise<void> {
    await this.dialect.createLog(exec);
    this.state.built = true;
    this.state.replicas = Array.from({ length: this.replicaCount }, () => ({
      appliedCommits: 0,
      appliedSeq: 0,
      origin: Date.now(),
      syncedTick: Date.now(),
      objects: new Map(),
      schemaVersion: UNKNOWN_VERSION,
      unreplicable: [],
      copiedAt: new Map(),
    }));
    await this.syncAll(exec, where);
  }

  /** Brings every replica (or replica `index`) up to the master's last commit. */
  async sync(exec: LagExecution, index?: number): Promise<void> {
    if (!this.state.built) return;
    if (index === undefined) await this.syncAll(exec);
    else await this.syncTo(exec, index, this.state.commits.length, "syncReplicas()");
  }

  /**
   * A write ran outside any application transaction, or an application's outermost transaction
   * committed: what the capture holds up to now is a commit.
   */
  async commitPoint(exec: LagExecution): Promise<void> {
    if (!this.state.built || !this.state.dirty) return;
    this.state.dirty = false;
    const seq = await this.dialect.lastSeq(exec);
    const commits = this.state.commits;
    if (seq > (commits[commits.length - 1]?.seq ?? 0)) commits.push({ seq, at: Date.now() });
  }

  /** True when {@link noteStatement} needs to see the connection's statements. */
  get watchesStatements(): boolean {
    return this.dialect.changesNameResolution !== undefined;
  }

  /** A statement of the application's ran: one that may change how names resolve makes the routes learned so far stale. */
  noteStatement(sql: string): void {
    if (!this.dialect.changesNameResolution?.(sql)) return;
    this.resolutionTouched = true;
    this.forgetRoutes();
  }

  /**
   * A read the master ran called a function that may write: it is a write, outside every
   * application transaction a commit (production autocommits it), and may have set the search path.
   */
  async masterReadWrote(exec: LagExecution): Promise<void> {
    if (!this.state.built) return;
    this.resolutionTouched = true;
    this.forgetRoutes();
    this.noteWrite();
    if (exec.applicationDepth() === 0) await this.commitPoint(exec);
  }

  /** A rollback ended work that may have changed how names resolve. */
  private resolutionMayHaveChanged(): void {
    if (this.resolutionTouched) this.forgetRoutes();
  }

  private forgetRoutes(): void {
    for (const routes of this.routes) routes.clear();
  }

  /** The master ran a write: the next commit point reads the capture. */
  noteWrite(): void {
    if (this.state.built) this.state.dirty = true;
  }

  /**
   * A read through replica `index`: caught up first when its interval says so, pointed at its
   * copy, and checked (once per statement text) to reach nothing of the master's.
   */
  async route(exec: LagExecution, index: number, sql: string, parameters: unknown[] | undefined): Promise<RoutedRead> {
    const lag = this.state.lag;
    if (lag.kind === "interval") {
      const visible = this.visibleCommits(index, lag.intervals[index]!);
      if (visible > this.state.replicas[index]!.appliedCommits) await this.syncTo(exec, index, visible, "a replica read");
    }
    const replica = this.state.replicas[index]!;
    const routes = this.routes[index]!;
    let routed = routes.get(sql);
    if (routed === undefined) {
      const read = await this.dialect.routeRead(exec, index, sql, parameters, this.names[index]!);
      if ("refused" in read) throw this.unreplicated(index, sql, read.refused);
      routed = read.sql;
      if (read.cache !== false) {
        if (routes.size >= CACHE_LIMIT) routes.delete(routes.keys().next().value!);
        routes.set(sql, routed);
      }
    }
    return { sql: routed, commitsBehind: this.state.commits.length - replica.appliedCommits };
  }

  private unreplicated(index: number, sql: string, why: string): ReplicaLagError {
    return new ReplicaLagError("unreplicated-read", `A read through replica ${index} would have read the master's data instead. ${why}`, {
      replicaIndex: index,
      sql,
    });
  }

  private openTransaction(where: string): ReplicaLagError {
    return new ReplicaLagError(
      "open-transaction",
      `${where} has to copy whole tables to the replicas (lag switched on, or the master's schema changed), ` +
        "but an application transaction is open, and a copy would show the replicas its uncommitted work. " +
        "Call it after the transaction ends.",
    );
  }

  /** The commits replica `index` shows at its last interval tick. */
  private visibleCommits(index: number, interval: number): number {
    const replica = this.state.replicas[index]!;
    const now = Date.now();
    // A clock set back (fake timers installed mid-test, at 0 by default) counts intervals from then.
    if (now < replica.origin) replica.origin = replica.syncedTick = now;
    const tick = replica.origin + Math.floor((now - replica.origin) / interval) * interval;
    // The replica was in sync at its origin, and caught up at its last tick already.
    if (tick <= replica.syncedTick) return replica.appliedCommits;
    replica.syncedTick = tick;
    const commits = this.state.commits;
    let visible = replica.appliedCommits;
    while (visible < commits.length && commits[visible]!.at <= tick) visible++;
    return visible;
  }

  private startIntervals(): void {
    const now = Date.now();
    for (const replica of this.state.replicas) {
      replica.origin = now;
      replica.syncedTick = now;
    }
  }

  private async syncAll(exec: LagExecution, where = "syncReplicas()"): Promise<void> {
    // The replicas' own schema work leaves the master's version as it is: read once for all.
    const schemaVersion = await this.dialect.schemaVersion(exec);
    for (let i = 0; i < this.replicaCount; i++) await this.syncTo(exec, i, this.state.commits.length, where, schemaVersion);
  }

  /**
   * Applies the master's commits to replica `index` up to commit number `target` (a count), in a
   * savepoint of its own; with nothing to apply, nothing is written.
   */
  private async syncTo(exec: LagExecution, index: number, target: number, where: string, version?: string): Promise<void> {
    const replica = this.state.replicas[index]!;
    const schemaVersion = version ?? (await this.dialect.schemaVersion(exec));
    const schemaChanged = schemaVersion !== this.state.captureSchemaVersion || schemaVersion !== replica.schemaVersion;
    if (!schemaChanged && target <= replica.appliedCommits) return;
    const depth = exec.applicationDepth();
    const before = depth > 0 ? cloneState(this.state) : undefined;
    await this.atomically(exec, () => this.applyCommits(exec, index, target, where, schemaVersion));
    if (before) this.state.provisional.push({ depth, replica: index, target: this.state.replicas[index]!.appliedCommits, before });
  }

  /**
   * An application transaction (or savepoint) at `depth` ended. Committed, the syncs made inside it
   * belong to the transaction around it; rolled back, the rollback took their writes to the copies
   * with it, so they are made again: a replica never goes back because an application rolled back.
   */
  async frameEnded(exec: LagExecution, depth: number, committed: boolean): Promise<void> {
    if (!committed) this.resolutionMayHaveChanged();
    this.state.rawSavepoints = this.state.rawSavepoints.filter((savepoint) => savepoint.depth < depth);
    const inside = this.state.provisional.filter((entry) => entry.depth >= depth);
    if (inside.length === 0) return;
    this.state.provisional = this.state.provisional.filter((entry) => entry.depth < depth);
    if (committed) {
      if (depth > 1) for (const entry of inside) this.state.provisional.push({ ...entry, depth: depth - 1 });
      return;
    }
    await this.redo(exec, inside);
  }

  /** The application opened a savepoint of its own, at application transaction depth `depth`. */
  rawSavepoint(name: string, depth: number): void {
    if (this.state.built) this.state.rawSavepoints.push({ name, depth, provisional: this.state.provisional.length });
  }

  /** The application released its savepoint `name`, and with it every one opened after it. */
  rawRelease(name: string): void {
    const at = this.rawSavepointIndex(name);
    if (at >= 0) this.state.rawSavepoints.length = at;
  }

  /**
   * The application rolled back to its savepoint `name` (which stays): the syncs made since are
   * undone on the connection, so they are made again.
   */
  async rawRollbackTo(exec: LagExecution, name: string): Promise<void> {
    const at = this.rawSavepointIndex(name);
    if (at < 0) return;
    this.resolutionMayHaveChanged();
    const mark = this.state.rawSavepoints[at]!;
    this.state.rawSavepoints.length = at + 1;
    const undone = this.state.provisional.slice(mark.provisional);
    if (undone.length === 0) return;
    this.state.provisional = this.state.provisional.slice(0, mark.provisional);
    await this.redo(exec, undone);
  }

  private rawSavepointIndex(name: string): number {
    for (let i = this.state.rawSavepoints.length - 1; i >= 0; i--) if (this.state.rawSavepoints[i]!.name === name) return i;
    return -1;
  }

  /**
   * Syncs (and changes of the capture) a rollback took back on the connection: the state from
   * before the first is put back, and every replica synced again as far as it had been.
   */
  private async redo(exec: LagExecution, inside: readonly Provisional[]): Promise<void> {
    const targets = new Map<number, number>();
    for (const { replica, target } of inside) if (replica !== undefined) targets.set(replica, Math.max(targets.get(replica) ?? 0, target));
    const current = this.state;
    this.state = { ...cloneState(inside[0]!.before), lag: current.lag, commits: current.commits, dirty: current.dirty };
    this.state.provisional = current.provisional;
    this.state.rawSavepoints = current.rawSavepoints;
    for (let i = 0; i < this.replicaCount; i++) {
      const replica = this.state.replicas[i];
      const now = current.replicas[i];
      if (replica && now) {
        replica.origin = now.origin;
        replica.syncedTick = now.syncedTick;
      }
      this.learnNames(i);
    }
    for (const [index, target] of targets) await this.syncTo(exec, index, target, "a rollback of the transaction a sync ran in");
  }

  private async applyCommits(exec: LagExecution, index: number, target: number, where: string, schemaVersion: string): Promise<void> {
    const replica = this.state.replicas[index]!;
    if (schemaVersion !== this.state.captureSchemaVersion) await this.alignCapture(exec, schemaVersion);
    // Tables new to the replica, or changed, are copied whole as the master holds them now: ahead
    // of the replica's other tables until it catches up with them.
    if (schemaVersion !== replica.schemaVersion) await this.alignReplica(exec, index, schemaVersion, where);
    if (target <= replica.appliedCommits) return;
    const lo = replica.appliedSeq;
    const hi = this.state.commits[target - 1]!.seq;
    const ids = await this.dialect.touchedTables(exec, lo, hi);
    const tables = [...this.state.captured.values()].filter((table) => ids.has(table.id) && replica.objects.has(`table:${table.name}`));
    if (tables.length > 0) {
      await this.dialect.applying(exec, async () => {
        for (const table of tables) {
          const from = Math.max(lo, replica.copiedAt.get(table.name) ?? 0);
          if (from < hi) await this.dialect.apply(exec, index, table, from, hi);
        }
      });
    }
    replica.appliedCommits = target;
    replica.appliedSeq = hi;
    for (const [name, seq] of replica.copiedAt) if (seq <= hi) replica.copiedAt.delete(name);
  }

  /**
   * Captures every master table as it is now: new and changed tables get a log and triggers,
   * dropped ones lose theirs, and triggers of captures that no longer are (a table altered or
   * replaced) are dropped.
   */
  private async alignCapture(exec: LagExecution, schemaVersion: string): Promise<void> {
    const dialect = this.dialect;
    const tables = (await dialect.masterObjects(exec)).filter((object) => object.type === "table" && object.sql && !object.unreplicable);
    const triggers = await dialect.captureTriggers(exec);
    const present = new Set(tables.map((table) => table.name));
    for (const [name, table] of this.state.captured) {
      if (present.has(name)) continue;
      await dialect.dropCapture(exec, table);
      this.state.captured.delete(name);
    }
    for (const object of tables) {
      const known = this.state.captured.get(object.name);
      if (known && known.sql === object.sql && dialect.triggersOf(known).every((trigger) => triggers.has(trigger))) continue;
      if (known) {
        await dialect.dropCapture(exec, known);
        // The table was replaced: every replica copies it whole at its next sync.
        for (const replica of this.state.replicas) replica.objects.delete(`table:${object.name}`);
      }
      const table = await dialect.capture(exec, object, ++this.state.nextTableId);
      this.state.captured.set(object.name, table);
    }
    const current = new Set([...this.state.captured.values()].flatMap((table) => dialect.triggersOf(table)));
    for (const trigger of await dialect.captureTriggers(exec)) if (!current.has(trigger)) await dialect.dropTrigger(exec, trigger);
    this.state.captureSchemaVersion = schemaVersion;
  }

  /**
   * An `ALTER TABLE` is about to run on the master. SQLite refuses to drop or rename a column a
   * trigger names, and the capture's triggers name every column: they are dropped first, and the
   * capture built again for the table's new shape right after (see {@link schemaChanged}).
   */
  async beforeAlter(exec: LagExecution): Promise<void> {
    if (!this.state.built || !this.dialect.altersNeedTriggersDropped) return;
    await this.provisionally(exec, async () => {
      for (const trigger of await this.dialect.captureTriggers(exec)) await this.dialect.dropTrigger(exec, trigger);
    });
  }

  /** The master's schema changed (an `ALTER TABLE` ran): writes from now on are captured in its new shape. */
  async schemaChanged(exec: LagExecution): Promise<void> {
    if (!this.state.built) return;
    await this.provisionally(exec, async () => this.alignCapture(exec, await this.dialect.schemaVersion(exec)));
  }

  /**
   * Runs `fn`, which changes the capture, atomically; inside an application transaction, as a
   * change its rollback takes back (see {@link frameEnded}).
   */
  private async provisionally(exec: LagExecution, fn: () => Promise<void>): Promise<void> {
    const depth = exec.applicationDepth();
    const before = depth > 0 ? cloneState(this.state) : undefined;
    await this.atomically(exec, fn);
    if (before) this.state.provisional.push({ depth, replica: undefined, target: 0, before });
  }

  /**
   * Brings replica `index`'s schema in line with the master's: objects the master dropped or
   * changed are dropped, new ones created, and new tables copied whole.
   *
   * @returns true if a table was copied (the replica then holds the master's latest commit).
   */
  private async alignReplica(exec: LagExecution, index: number, schemaVersion: string, where: string): Promise<void> {
    const replica = this.state.replicas[index]!;
    const objects = (await this.dialect.masterObjects(exec)).filter((object) => object.sql);
    const wanted = new Map(objects.map((object) => [`${object.type}:${object.name}`, object]));
    const virtual = new Set(objects.filter((object) => object.unreplicable).map((object) => `${object.type}:${object.name}`));
    // Views first: they depend on tables.
    const stale = [...replica.objects].filter(([key, sql]) => wanted.get(key)?.sql !== sql);
    stale.sort(([a], [b]) => dropOrder(a) - dropOrder(b));
    for (const [key] of stale) {
      const [type, name] = splitKey(key);
      await this.dialect.dropReplicaObject(exec, index, type, name);
      replica.objects.delete(key);
      // Dropping a table drops its indexes.
      if (type === "table")
        for (const other of [...replica.objects.keys()])
          if (wanted.get(other)?.tableName === name && other.startsWith("index:")) replica.objects.delete(other);
    }
    const isMissing = (object: SchemaObject) =>
      !replica.objects.has(`${object.type}:${object.name}`) && !virtual.has(`${object.type}:${object.name}`);
    const copies = objects.filter((object) => object.type === "table" && isMissing(object));
    if (copies.length > 0 && exec.applicationDepth() > 0) throw this.openTransaction(where);
    // A table made again (its capture was: the master replaced or altered it) is made without its indexes.
    const remade = new Set(copies.map((table) => table.name));
    for (const key of [...replica.objects.keys()])
      if (key.startsWith("index:") && remade.has(wanted.get(key)?.tableName ?? "")) replica.objects.delete(key);
    const missing = objects.filter(isMissing);
    missing.sort((a, b) => createOrder(a.type) - createOrder(b.type));
    for (const object of missing) {
      if (!(await this.dialect.createReplicaObject(exec, index, object))) continue;
      replica.objects.set(`${object.type}:${object.name}`, object.sql!);
      const table = object.type === "table" ? this.state.captured.get(object.name) : undefined;
      if (!table) continue;
      await this.dialect.copyWhole(exec, index, table);
      replica.copiedAt.set(table.name, await this.dialect.lastSeq(exec));
    }
    replica.schemaVersion = schemaVersion;
    replica.unreplicable = [...virtual].map((key) => this.dialect.routeName(splitKey(key)[1]));
    this.learnNames(index);
  }

  /**
   * What replica `index` holds, for routing its reads. Routes learned before are kept while the
   * names are the same (each cost an EXPLAIN), and forgotten when they change.
   */
  private learnNames(index: number): void {
    const replica = this.state.replicas[index];
    const replicated = new Set<string>();
    for (const key of replica?.objects.keys() ?? [])
      if (!key.startsWith("index:")) replicated.add(this.dialect.routeName(splitKey(key)[1]));
    const unreplicable = new Set(replica?.unreplicable ?? []);
    const known = this.names[index]!;
    if (sameSet(known.replicated, replicated) && sameSet(known.unreplicable, unreplicable)) return;
    this.names[index] = { replicated, unreplicable };
    this.routes[index]!.clear();
  }
}

function cloneState(state: LagState): LagState {
  return {
    ...state,
    captured: new Map(state.captured),
    commits: [...state.commits],
    provisional: [...state.provisional],
    rawSavepoints: [...state.rawSavepoints],
    replicas: state.replicas.map((replica) => ({
      ...replica,
      objects: new Map(replica.objects),
      unreplicable: [...replica.unreplicable],
      copiedAt: new Map(replica.copiedAt),
    })),
  };
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const value of a) if (!b.has(value)) return false;
  return true;
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf(":");
  return [key.slice(0, at), key.slice(at + 1)];
}

function dropOrder(key: string): number {
  return key.startsWith("view:") ? 0 : key.startsWith("index:") ? 1 : 2;
}

function createOrder(type: string): number {
  return type === "table" ? 0 : type === "index" ? 1 : 2;
}
