/** How the lag controller runs its statements: on the shared connection, in the caller's turn, logged as internal. */
export interface LagExecution {
  /** Runs a statement that reads, and returns its rows. */
  read(sql: string, parameters?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a statement that writes, inside the test harness's transactions (opened first if deferred). */
  write(sql: string): Promise<void>;
  /** How many application transactions (and savepoints) are open on the connection: their work is not committed. */
  applicationDepth(): number;
  /** True when a write runs in a transaction (the test harness's, opened first if deferred, or the application's). */
  inTransaction(): boolean;
}

/** One object of the master's schema a replica may hold. */
export interface SchemaObject {
  readonly type: "table" | "index" | "view" | "trigger";
  /** The object's name as the dialect keys it (SQLite: the name; Postgres: `"schema"."name"`). */
  readonly name: string;
  /** The name of the table an index belongs to. */
  readonly tableName: string;
  /** What the object is: when it changes, the replicas' copy is made again. `null` for objects SQLite creates itself. */
  readonly sql: string | null;
  /** True for what replicas cannot hold (SQLite's virtual tables, Postgres's materialized views): reading one is refused. */
  readonly unreplicable?: boolean;
}

/** A master table whose changes are captured. */
export interface CapturedTable {
  /** Numbers the table in the capture's log. */
  readonly id: number;
  readonly name: string;
  /** The definition ({@link SchemaObject.sql}) the capture was built for. */
  readonly sql: string;
  /** The columns identifying a row: `["rowid"]`, a primary key, or none (rows are then matched whole). */
  readonly key: readonly string[];
  /** The stored columns (generated ones are computed again by the replica where it can). */
  readonly columns: readonly string[];
}

/** What a read names that a replica's schema may hold. */
export interface ReplicaNames {
  /** Names (in the dialect's {@link LagDialect.routeName} form) of the tables and views the replica holds. */
  readonly replicated: ReadonlySet<string>;
  /** Names of the master's objects the replica cannot hold: a read of one is refused. */
  readonly unreplicable: ReadonlySet<string>;
}

/**
 * The SQL of lag mode on one engine family: where the replicas' copies live, how the master's
 * writes are captured and applied to them, and how a replica read is pointed at its copy. The
 * {@link LaggingReplicas} state machine (commits, scopes, intervals, rollbacks) is the same on all.
 */
export interface LagDialect {
  /** Statements that give a new connection the replicas' storage, run once, outside any transaction. */
  attachStatements(): string[];
  /**
   * Drops the log, the capture and every replica's copies from the database: where they can
   * outlive the DataSource (a persistent database). Undefined where they go with the connection.
   */
  dropCopies?(exec: LagExecution): Promise<void>;
  /** Creates the capture's log and clock. */
  createLog(exec: LagExecution): Promise<void>;
  /** The capture's sequence now: every captured change up to it has a smaller or equal number. */
  lastSeq(exec: LagExecution): Promise<number>;
  /** Changes whenever the master's schema does (and goes back with a rollback of the change). */
  schemaVersion(exec: LagExecution): Promise<string>;
  /** The master's tables, indexes and views, tables first. */
  masterObjects(exec: LagExecution): Promise<SchemaObject[]>;
  /** Starts capturing the writes to table `object`. */
  capture(exec: LagExecution, object: SchemaObject, id: number): Promise<CapturedTable>;
  /** Stops capturing `table` and forgets what was captured of it. */
  dropCapture(exec: LagExecution, table: CapturedTable): Promise<void>;
  /** The capture triggers that exist on the connection. */
  captureTriggers(exec: LagExecution): Promise<Set<string>>;
  /** The capture triggers `table` needs. */
  triggersOf(table: CapturedTable): string[];
  dropTrigger(exec: LagExecution, name: string): Promise<void>;
  /** True when a SAVEPOINT needs a transaction around it (Postgres); SQLite's opens one. */
  readonly savepointsNeedTransaction: boolean;
  /** True when the engine refuses to alter a table a capture trigger names (SQLite), so triggers go first. */
  readonly altersNeedTriggersDropped: boolean;
  /** The ids of the tables with changes in the capture range `(lo, hi]`. */
  touchedTables(exec: LagExecution, lo: number, hi: number): Promise<Set<number>>;
  /** Runs `fn`, which applies changes, in the session the dialect's {@link apply} needs. */
  applying(exec: LagExecution, fn: () => Promise<void>): Promise<void>;
  /** Applies the changes of `table` in `(lo, hi]` to replica `index`'s copy. */
  apply(exec: LagExecution, index: number, table: CapturedTable, lo: number, hi: number): Promise<void>;
  /** Creates `object` in replica `index`'s schema; false for objects a replica does not copy. */
  createReplicaObject(exec: LagExecution, index: number, object: SchemaObject): Promise<boolean>;
  /** Drops an object (by its `type:name` key) from replica `index`'s schema. */
  dropReplicaObject(exec: LagExecution, index: number, type: string, name: string): Promise<void>;
  /** Makes replica `index`'s copy of `table` hold what the master's holds now. */
  copyWhole(exec: LagExecution, index: number, table: CapturedTable): Promise<void>;
  /**
   * Whether `sql` may change how a read's names resolve (Postgres's `search_path`): routes learned
   * before are then forgotten. Undefined where names resolve one way only (SQLite).
   */
  changesNameResolution?(sql: string): boolean;
  /** The form of an object name a read is matched against. */
  routeName(name: string): string;
  /**
   * `sql` pointed at replica `index`'s copies, and checked against the engine's own plan to reach
   * nothing of the master's; or why it cannot be. `cache: false`: route the same text again next
   * time (it depends on more than its text).
   */
  routeRead(
    exec: LagExecution,
    index: number,
    sql: string,
    parameters: unknown[] | undefined,
    names: ReplicaNames,
  ): Promise<{ readonly sql: string; readonly cache?: boolean } | { readonly refused: string }>;
}
