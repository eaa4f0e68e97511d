/**
 * Settings of a real database server as the inner engine (the `engine` setting). Tests run in a
 * database of their own on that server, named `<testDatabasePrefix><database>` (plus the worker id
 * under `mocha --parallel`); it is created on first use.
 *
 * @example
 * ```ts
 * new SharedReplicationDataSource(productionOptions, {
 *   engine: { type: "postgres", host: "127.0.0.1", username: "postgres", database: "app" }, // runs in test_app
 * });
 * ```
 */
export interface ServerEngineSettings {
  /** The server's kind. */
  readonly type: "postgres" | "mysql" | "mariadb";
  /** The default value is `"127.0.0.1"`. */
  readonly host?: string;
  /** The default value is 5432 for postgres, 3306 otherwise. */
  readonly port?: number;
  /** The default value is `"postgres"` for postgres, `"root"` otherwise. */
  readonly username?: string;
  /** The default value is `undefined` (no password). */
  readonly password?: string;
  /**
   * The base name of the test database: tests use `<testDatabasePrefix><database>`, or `database`
   * itself if it already starts with the prefix. Required, unless `useApplicationOptions` takes it
   * from the application's options: there is no default, so a run never picks a database by accident.
   */
  readonly database?: string;
  /**
   * Take host, port, username, password and database from the application's own master options
   * (never its replicas). The default value is `false`.
   */
  readonly useApplicationOptions?: boolean;
  /**
   * The prefix that marks a database as a test database. It must start with `test` and end with
   * `_` or `-` (`"test_"`, `"test_ci_"`), so a test database can never be a real one whose name
   * merely starts with "test". The default value is `"test_"`.
   */
  readonly testDatabasePrefix?: string;
  /**
   * Keep the test database between runs (Django's `--keepdb`): it is not recreated, and the schema
   * is synchronised or migrated on it. The default value is `false`: dropped and recreated once per process.
   */
  readonly keepDatabase?: boolean;
  /** Drop the test database when the last DataSource using it is destroyed. The default value is `false`. */
  readonly dropDatabase?: boolean;
  /**
   * End the other sessions on the test database before dropping it (Postgres `DROP DATABASE … WITH
   * (FORCE)`, MySQL/MariaDB `KILL` each session), instead of failing with `TestDatabaseInUseError`.
   * It ends whatever those clients were doing, another test run included: use it only for sessions
   * known to be stale. The default value is `false`.
   */
  readonly forceDrop?: boolean;
  /** Postgres only: the database to connect to for CREATE/DROP DATABASE. The default value is `"postgres"`. */
  readonly adminDatabase?: string;
}
