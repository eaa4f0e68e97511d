import { expect } from "chai";
import type { DataSourceOptions } from "typeorm";
import { createTestDataSource, serverEngine, testServer } from "../ormconfig.test";
import { UnsafeTestDatabaseError, type SharedReplicationDataSource } from "../src";
import { Item } from "./fixtures/item-entity";
import { rejectionOf, sleep } from "./support/capture-error";
import { createDatabase, dropDatabase, sessionsOn, withAdmin, waitUntil, type TestServerType } from "./support/server-connections";

/** Sets `variables` (`undefined`: unset) around `fn`, then restores them. */
async function withEnv<T>(variables: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      // Assigning undefined would store the string "undefined".
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(variables);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/**
 * What a database shows of contact. Postgres counts every session and transaction a database ever
 * had (pg_stat_database); MariaDB here runs without performance_schema, so only what is open now
 * and the tables are seen there.
 */
interface Contact {
  readonly sessionsEver?: number;
  readonly transactionsEver?: number;
}

/** A database that is not a test database, which the guard must never reach: every contact shows. */
class Canary {
  readonly name = `sharedrepl_canary_${process.pid}`;

  constructor(private readonly server: TestServerType) {}

  async create(): Promise<void> {
    await createDatabase(this.server, this.name);
    // A table of its own, so that "no tables created" is not merely "no database".
    if (this.server === "mariadb")
      await withAdmin(this.server, (admin) => admin.query(`CREATE TABLE \`${this.name}\`.canary_sentinel (id int)`));
    else await this.onCanary("CREATE TABLE canary_sentinel (id int)");
  }

  drop(): Promise<void> {
    return dropDatabase(this.server, this.name);
  }

  /** The counters once no session is on the canary any more (an ended session flushes its counts as it exits). */
  async contact(): Promise<Contact> {
    await waitUntil("no session is on the canary", async () => (await sessionsOn(this.server, this.name)).length === 0);
    if (this.server !== "postgres") return {};
    await sleep(200);
    return withAdmin(this.server, async (admin) => {
      await admin.query("SELECT pg_stat_clear_snapshot()");
      const [row] = await admin.query<{ sessions: string; transactions: string }>(
        "SELECT sessions, xact_commit + xact_rollback AS transactions FROM pg_stat_database WHERE datname = $1",
        [this.name],
      );
      return { sessionsEver: Number(row!.sessions), transactionsEver: Number(row!.transactions) };
    });
  }

  /** Its tables. On Postgres this connects to it: read {@link contact} first. */
  async tables(): Promise<string[]> {
    if (this.server === "mariadb") {
      const rows = await withAdmin(this.server, (admin) =>
        admin.query<{ name: string }>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", [this.name]),
      );
      return rows.map((row) => row.name);
    }
    const rows = await this.onCanary("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'");
    return rows.map((row) => String(row.name));
  }

  url(): string {
    const { host, username } = serverEngine(this.server);
    return this.server === "postgres"
      ? `postgres://${username}@${host}:5432/${this.name}`
      : `mysql://${username}@${host}:3306/${this.name}`;
  }

  private async onCanary(sql: string): Promise<Record<string, unknown>[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require("pg") as {
      Client: new (config: object) => {
        connect(): Promise<void>;
        query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
        end(): Promise<void>;
      };
    };
    const { host, username } = serverEngine(this.server);
    const client = new Client({ host, user: username, database: this.name });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }
}

// Server legs only (TEST_SERVER set): each route that could point TypeORM's connection somewhere
// else is tried against a canary database, which must show no contact afterwards.
if (testServer)
  describe(`${testServer}: the test database guard at the connection`, function () {
    this.timeout(30_000);
    const server = testServer as TestServerType;
    const canary = new Canary(server);
    let dataSource: SharedReplicationDataSource | undefined;

    before(() => canary.create());
    after(() => canary.drop());
    afterEach(async () => {
      if (dataSource?.isInitialized) await dataSource.destroy();
      dataSource = undefined;
    });

    /**
     * Changes the options the driver connects with: `setOptions()`, which Postgres' driver reads
     * (it keeps the DataSource's options object), and the driver's own copy, which MySQL's keeps.
     */
    const changeOptions = (target: SharedReplicationDataSource, options: Partial<DataSourceOptions>) => {
      target.setOptions(options);
      Object.assign((target.driver as unknown as { options: object }).options, options);
    };

    /** A DataSource on the suite's test database, as every other test file has. */
    const suiteDataSource = () => (dataSource = createTestDataSource({}, { entities: [Item] }));

    /** Runs `attempt`, expects the guard to refuse it, and the canary to show no contact. */
    async function expectRefusedWithoutContact(attempt: () => Promise<unknown>): Promise<UnsafeTestDatabaseError> {
      const before = await canary.contact();
      const error = await rejectionOf(attempt());
      expect(error).to.be.instanceOf(UnsafeTestDatabaseError);
      // Refused before connecting: MariaDB (no performance_schema here) could not show a contact it closed at once.
      expect((error as Error).message).to.match(/about to open|were given `replication`/);
      expect(await sessionsOn(server, canary.name), "sessions on the canary").to.deep.equal([]);
      expect(await canary.contact(), "sessions and transactions the canary ever had").to.deep.equal(before);
      expect(await canary.tables()).to.deep.equal(["canary_sentinel"]);
      return error as UnsafeTestDatabaseError;
    }

    type SetOptions = (options: Partial<DataSourceOptions>) => void;
    const routes: [string, (set: SetOptions) => void][] = [
      ["a changed database option", (set) => set({ database: canary.name })],
      ["a url naming another database", (set) => set({ url: canary.url() } as Partial<DataSourceOptions>)],
      ["extra.database", (set) => set({ extra: { database: canary.name } })],
      server === "postgres"
        ? ["extra.connectionString", (set) => set({ extra: { connectionString: canary.url() } })]
        : // mysql2 fills in from the uri only what the options leave unset.
          ["extra.uri", (set) => set({ database: undefined, extra: { uri: canary.url() } } as Partial<DataSourceOptions>)],
      [
        "replication added by setOptions",
        (set) =>
          set({
            replication: {
              master: { ...serverEngine(server), database: canary.name },
              slaves: [{ ...serverEngine(server), database: canary.name }],
            },
          } as Partial<DataSourceOptions>),
      ],
    ];

    for (const [route, change] of routes) {
      it(`should refuse ${route} before connecting, leaving the other database untouched`, async () => {
        const target = suiteDataSource();
        change((options) => changeOptions(target, options));
        const error = await expectRefusedWithoutContact(() => target.initialize());
        expect(error.message).to.contain("Leave where the database is to the engine setting");
        expect(target.isInitialized).to.equal(false);
      });
    }

    it("should refuse a database the changed options point at when the DataSource connects again", async () => {
      const target = suiteDataSource();
      await target.initialize();
      await target.destroy();
      changeOptions(target, { database: canary.name });
      await expectRefusedWithoutContact(() => target.initialize());
    });

    it("should refuse NODE_ENV=production when the DataSource connects again", async () => {
      const target = suiteDataSource();
      await target.initialize();
      await target.destroy();
      const error = await withEnv({ NODE_ENV: "production" }, () => rejectionOf(target.initialize()));
      expect(error).to.be.instanceOf(UnsafeTestDatabaseError);
      expect((error as Error).message).to.contain("NODE_ENV");
    });

    if (server === "postgres") {
      // pg fills in what the options leave unset from PGDATABASE, PGHOST, PGPORT, …
      it("should refuse the database PGDATABASE names when the options leave it unset", async () => {
        const target = suiteDataSource();
        changeOptions(target, { database: undefined } as Partial<DataSourceOptions>);
        await withEnv({ PGDATABASE: canary.name }, () => expectRefusedWithoutContact(() => target.initialize()));
      });

      it("should refuse the port PGPORT names when the options leave it unset, before connecting", async () => {
        const target = suiteDataSource();
        changeOptions(target, { port: undefined } as Partial<DataSourceOptions>);
        // Nothing listens on port 9: a connection attempt would fail with ECONNREFUSED instead.
        const error = await withEnv({ PGPORT: "9" }, () => rejectionOf(target.initialize()));
        expect(error).to.be.instanceOf(UnsafeTestDatabaseError);
        expect((error as Error).message).to.contain("port 9 instead of 5432");
      });

      // A Client class that changes where it connects once connect() is called gets past the check
      // before connecting; the server's answer to current_database() does not.
      it("should ask the server which database it connected to, and close a connection to any other", async () => {
        const canaryName = canary.name;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { Client } = require("pg") as { Client: new (config: object) => { connect(callback?: unknown): unknown } };
        class RedirectingClient extends Client {
          override connect(callback?: unknown) {
            (this as unknown as { connectionParameters: { database: string } }).connectionParameters.database = canaryName;
            return super.connect(callback);
          }
        }
        const target = suiteDataSource();
        changeOptions(target, { extra: { Client: RedirectingClient } });
        const error = await rejectionOf(target.initialize());
        expect(error).to.be.instanceOf(UnsafeTestDatabaseError);
        expect((error as Error).message).to.contain("The connection the driver opened goes to database");
        await waitUntil("the refused connection is closed", async () => (await sessionsOn(server, canaryName)).length === 0);
        expect(await canary.tables()).to.deep.equal(["canary_sentinel"]);
      });
    } else {
      // mysql2 reads no environment variables. Without CONNECT_WITH_DB the handshake selects no
      // database, though the options name the test database: only the server's answer shows it.
      it("should ask the server which database it connected to, and close a connection to any other", async () => {
        const target = suiteDataSource();
        changeOptions(target, { extra: { flags: ["-CONNECT_WITH_DB"] } });
        const error = await rejectionOf(target.initialize());
        expect(error).to.be.instanceOf(UnsafeTestDatabaseError);
        expect((error as Error).message).to.contain('The connection the driver opened goes to database "(none)"');
      });
    }
  });
