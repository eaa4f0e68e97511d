/** How each strategy isolates a test, for RESULTS.md. */
export const STRATEGY_NOTES: readonly string[] = [
  "1: `TestIsolation` (the core of `TransactionalTestCase`): fixtures once per group in the group's transaction; per test a lazy savepoint (no statement until the test writes), rolled back after it; application transactions inside it are savepoints whose commit sends nothing, and ended savepoints are released 16 at a time.",
  "2: `TruncatingTestLifecycle` (the core of `TruncatingTestCase`): fixtures loaded before each test and committed; after it every table is emptied (SQLite: `DELETE FROM` each table and `sqlite_sequence`; Postgres: one `TRUNCATE … RESTART IDENTITY CASCADE`).",
  "3: `dataSource.synchronize(true)` (drop every table, create the schema again) and reload the fixtures before each test.",
  "4: a new `SharedReplicationDataSource` per test: initialize (schema), load fixtures, run, destroy.",
  "5: the peer library `typeorm-transactional-tests` as its README shows it: a `TransactionalTestContext` started before and finished after each test, on TypeORM's plain SQLite DataSource (it has no replicas to serve: it pins every runner to one master runner). Fixtures committed once per group.",
  "6: the floor, no library: TypeORM's plain DataSource, one runner in a transaction that holds the fixtures, each test wrapped in `SAVEPOINT` / `ROLLBACK TO` sent by hand (never released, as TypeORM's own nested rollback does). Its `save()`s open no transaction of their own: the runner is already in one. On Postgres its `createQueryRunner` is pinned to the one runner.",
  "ref: the floor's two statements sent straight through the driver package (sqlite3 / pg), no TypeORM, no body.",
];
