import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import type { DataSourceOptions } from "typeorm";
import { testServer } from "../ormconfig.test";
import { ReplicaWriteError, SharedReplicationDataSource } from "../src";
import { classifyStatement } from "../src/sql/statement-classifier";
import type { SqlDialect } from "../src/sql/tokenizer";
import { GUARD_CASES, type GuardCase } from "./fixtures/guard-cases";
import { plainInMemoryOptions, testCombination } from "./support/test-combination";

const FAMILIES = ["postgres", "mysql", "sqlite"] as const;

/** What a replica does with the statement, as the guard decides it: transaction control is a read. */
const guardVerdict = (sql: string, family: SqlDialect) => (classifyStatement(sql, family, true) === "write" ? "write" : "read");

const describeCase = (c: GuardCase) => `${JSON.stringify(c.sql)}: expected ${c.expected} (${c.reason})`;

describe("replica guard cases", () => {
  it("should hold hundreds of cases, each with the server's reason, exclusions only where a write is excluded", () => {
    expect(GUARD_CASES.postgres.length).to.be.at.least(150);
    expect(GUARD_CASES.mysql.length).to.be.at.least(100);
    expect(GUARD_CASES.sqlite.length).to.be.at.least(80);
    for (const c of FAMILIES.flatMap((family) => GUARD_CASES[family])) {
      expect(c.reason, c.sql).to.not.equal("");
      if (c.standbyRefuses || c.guardRefuses) expect(c.expected, c.sql).to.equal("write");
    }
  });

  it("should state the table's counts in the README", () => {
    const all = FAMILIES.flatMap((family) => GUARD_CASES[family]);
    const servers = [...GUARD_CASES.postgres, ...GUARD_CASES.mysql];
    const count = (cases: readonly GuardCase[], keep: (c: GuardCase) => boolean) => cases.filter(keep).length;
    const readme = fs.readFileSync(path.resolve(__dirname, "../README.md"), "utf8").replace(/\s+/g, " ");
    expect(readme).to.contain(
      `a table of ${all.length} cases (${GUARD_CASES.postgres.length} Postgres, ${GUARD_CASES.mysql.length} MySQL/MariaDB, ${GUARD_CASES.sqlite.length} SQLite)`,
    );
    expect(readme).to.contain(`each of the ${count(servers, (c) => !c.notSent && !c.standbyRefuses && !c.guardRefuses)} it answers`);
    expect(readme).to.contain(`the ${count(servers, (c) => !c.notSent && !!(c.standbyRefuses || c.guardRefuses))} a read-only session`);
    expect(readme).to.contain(`and ${count(servers, (c) => !!c.notSent)} that act on`);
  });

  for (const family of FAMILIES) {
    const cases = GUARD_CASES[family];

    it(`should classify all ${cases.length} ${family} cases as a read-only replica does`, () => {
      const wrong = cases.filter((c) => guardVerdict(c.sql, family) !== c.expected).map(describeCase);
      expect(wrong, "cases the guard decides otherwise").to.deep.equal([]);
    });

    describe(`${family}: through a replica runner of a SharedReplicationDataSource`, () => {
      let dataSource: SharedReplicationDataSource;

      before(async () => {
        const options = family === "sqlite" ? plainInMemoryOptions(testCombination.engine) : { type: family };
        // Always the in-memory engine: the server legs ask the servers themselves below.
        dataSource = new SharedReplicationDataSource({ ...options, entities: [] } as DataSourceOptions, {
          replicas: 1,
          engine: testCombination.engine,
        });
        await dataSource.initialize();
        for (const sql of IN_MEMORY_SCHEMA) await dataSource.query(sql);
      });

      after(() => dataSource.destroy());

      it("should refuse every write with ReplicaWriteError before it reaches the engine", async () => {
        const wrong: string[] = [];
        for (const c of cases.filter((c) => c.expected === "write")) {
          const replica = dataSource.createQueryRunner("slave");
          try {
            const { queries } = await dataSource.queryLog.capture(async () => {
              const error = await replica.query(c.sql, c.parameters as unknown[] | undefined).then(
                () => undefined,
                (failure: unknown) => failure,
              );
              if (!(error instanceof ReplicaWriteError)) wrong.push(`${describeCase(c)}: ${String(error ?? "ran")}`);
            });
            if (queries.length > 0) wrong.push(`${describeCase(c)}: reached the engine`);
          } finally {
            await replica.release();
          }
        }
        expect(wrong).to.deep.equal([]);
      });

      it(
        family === "sqlite"
          ? "should run every read, and refuse none with ReplicaWriteError"
          : "should refuse no read with ReplicaWriteError (SQLite may reject the production syntax itself)",
        async () => {
          const wrong: string[] = [];
          for (const c of cases.filter((c) => c.expected === "read" && !c.engineRejects)) {
            const replica = dataSource.createQueryRunner("slave");
            try {
              for (const sql of c.before ?? []) await replica.query(sql).catch(() => undefined);
              const error = await replica.query(c.sql, c.parameters as unknown[] | undefined).then(
                () => undefined,
                (failure: unknown) => failure,
              );
              if (error instanceof ReplicaWriteError || (family === "sqlite" && error !== undefined))
                wrong.push(`${describeCase(c)}: ${String(error)}`);
            } finally {
              // Ends what a BEGIN of the case (or before it) opened; fails harmlessly where nothing is open.
              await replica.query("ROLLBACK").catch(() => undefined);
              await replica.release();
            }
          }
          expect(wrong).to.deep.equal([]);
        },
      );
    });
  }

  // The oracle: the same cases on a real read-only session of the leg's server.
  const oracleFamily = testServer === "postgres" ? "postgres" : testServer === "mariadb" ? "mysql" : undefined;
  if (testServer && oracleFamily) {
    const server = testServer;
    describe(`${oracleFamily}: against a real read-only ${server} session`, function () {
      this.timeout(120_000);
      const cases = GUARD_CASES[oracleFamily];
      const database = `test_tokenizer_guard_${process.pid}`;
      let session: ReadOnlySession;
      const outcomes = new Map<GuardCase, Outcome>();

      before(async () => {
        // Fails loudly when the server cannot be reached: the server legs never skip the oracle.
        await createScratchDatabase(server, database);
        session = await ReadOnlySession.open(server, database);
        for (const c of cases) if (!c.notSent) outcomes.set(c, await session.run(c));
      });

      after(async () => {
        await session?.close();
        await dropScratchDatabase(server, database);
      });

      it("should run the oracle in a session that refuses writes", async () => {
        expect(await session.isReadOnly()).to.equal(true);
        expect(outcomes.size).to.be.at.least(cases.length - 20);
      });

      it("should agree with the guard, and the table, on every case the session answers as a standby would", () => {
        const wrong: string[] = [];
        for (const [c, outcome] of outcomes) {
          if (c.standbyRefuses || c.guardRefuses) continue;
          const guard = guardVerdict(c.sql, oracleFamily);
          if (outcome !== c.expected || guard !== outcome) wrong.push(`${describeCase(c)}: the server says ${outcome}, the guard ${guard}`);
        }
        expect(wrong).to.deep.equal([]);
      });

      it("should run every write the guard refuses where only a standby, or the guard by design, refuses it", () => {
        const wrong: string[] = [];
        for (const [c, outcome] of outcomes) {
          if (!c.standbyRefuses && !c.guardRefuses) continue;
          if (outcome !== "read") wrong.push(`${describeCase(c)}: the session says ${outcome}, so the exclusion is wrong`);
        }
        expect(wrong).to.deep.equal([]);
      });
    });
  }
});

/** The tables the cases read, for the in-memory engines (SQLite syntax, which every family's DataSource runs here). */
const IN_MEMORY_SCHEMA = [
  "CREATE TABLE item (id INTEGER PRIMARY KEY, value INTEGER, name TEXT, data TEXT)",
  "CREATE INDEX item_value_idx ON item (value)",
  `CREATE TABLE "user" (id INTEGER PRIMARY KEY, name TEXT, "createdAt" TEXT)`,
  "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT, item_id INTEGER REFERENCES item (id))",
  `INSERT INTO item (value, name, data) VALUES (1, 'a', '{"a":1}'), (2, 'b', '{"b":2}')`,
  "INSERT INTO note (body, item_id) VALUES ('n', 1)",
];

/** The objects the cases name, on the scratch database of each server. */
const SERVER_SCHEMA: Readonly<Record<"postgres" | "mariadb", readonly string[]>> = {
  postgres: [
    "CREATE TABLE item (id serial PRIMARY KEY, value int, name text, data jsonb, tags text[])",
    "CREATE INDEX item_value_idx ON item (value)",
    `CREATE TABLE "user" (id serial PRIMARY KEY, name text, "createdAt" timestamp NOT NULL DEFAULT now())`,
    "CREATE TABLE note (id serial PRIMARY KEY, body text, item_id int REFERENCES item (id))",
    `INSERT INTO item (value, name, data, tags) VALUES (1, 'a', '{"a":1}', '{x,y}'), (2, 'b', '{"b":2}', '{z}')`,
    "INSERT INTO note (body, item_id) VALUES ('n', 1)",
    "CREATE SEQUENCE seq",
    "CREATE VIEW item_view AS SELECT * FROM item",
    "CREATE MATERIALIZED VIEW item_totals AS SELECT count(*) AS n FROM item",
    "CREATE TYPE mood AS ENUM ('happy', 'sad')",
    "CREATE SCHEMA app",
    "CREATE PROCEDURE insert_item(v int) LANGUAGE sql AS $$ INSERT INTO item (value) VALUES (v) $$",
    "CREATE PROCEDURE read_nothing() LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$",
  ],
  mariadb: [
    "CREATE TABLE item (id int AUTO_INCREMENT PRIMARY KEY, value int, name varchar(50), data json, KEY value_idx (value))",
    "CREATE TABLE note (id int AUTO_INCREMENT PRIMARY KEY, body text, item_id int)",
    `INSERT INTO item (value, name, data) VALUES (1, 'a', '{"a":1}'), (2, 'b', '{"b":2}')`,
    "INSERT INTO note (body, item_id) VALUES ('n', 1)",
    "CREATE SEQUENCE seq",
    "CREATE VIEW item_view AS SELECT * FROM item",
    "CREATE PROCEDURE insert_item(v int) INSERT INTO item (value) VALUES (v)",
    "CREATE PROCEDURE read_items() SELECT * FROM item",
  ],
};

/** What the server did with a case: ran it, refused it as a write, or failed it for another reason. */
type Outcome = "read" | "write" | `error: ${string}`;

/** A plain connection of `pg` or `mysql2` (never the library's): the oracle's own. */
interface Connection {
  query(sql: string, parameters?: readonly unknown[]): Promise<unknown[]>;
  end(): Promise<void>;
}

interface DriverError {
  readonly code?: string;
  readonly errno?: number;
  readonly message?: string;
}

// pg ships no types (and @types/pg is not installed): described by what the oracle uses.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string, parameters?: readonly unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
  on(event: "error", listener: (error: unknown) => void): unknown;
}

async function connect(server: "postgres" | "mariadb", database: string | undefined): Promise<Connection> {
  if (server === "postgres") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require("pg") as { Client: new (config: object) => PgClient };
    const client = new Client({ host: "127.0.0.1", user: "postgres", database: database ?? "postgres", statement_timeout: 10_000 });
    client.on("error", () => undefined);
    await client.connect();
    return { query: async (sql, parameters) => (await client.query(sql, parameters)).rows, end: () => client.end() };
  }
  const mysql = await import("mysql2/promise");
  const connection = await mysql.createConnection({ host: "127.0.0.1", user: "root", database, multipleStatements: true });
  connection.on("error", () => undefined);
  return {
    query: async (sql, parameters) => {
      const [rows] = await connection.query(sql, parameters as unknown[] | undefined);
      return Array.isArray(rows) ? rows : [rows];
    },
    end: () => connection.end(),
  };
}

async function createScratchDatabase(server: "postgres" | "mariadb", database: string): Promise<void> {
  await dropScratchDatabase(server, database);
  const admin = await connect(server, undefined);
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const owner = await connect(server, database);
  try {
    for (const sql of SERVER_SCHEMA[server]) await owner.query(sql);
  } finally {
    await owner.end();
  }
}

/** Drops the scratch database, and the one a case would create if the server let it through. */
async function dropScratchDatabase(server: "postgres" | "mariadb", database: string): Promise<void> {
  const admin = await connect(server, undefined);
  try {
    for (const name of [database, "test_tokenizer_never_created"]) await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  } finally {
    await admin.end();
  }
}

/**
 * A session of the server that refuses writes as a replica's would: Postgres with
 * `default_transaction_read_only = on`, MariaDB with `SET SESSION TRANSACTION READ ONLY`. Before
 * each case the session is reset (Postgres' DISCARD ALL; a new MariaDB session), so no case sees
 * another's state.
 */
class ReadOnlySession {
  private constructor(
    private readonly server: "postgres" | "mariadb",
    private readonly database: string,
    private connection: Connection,
  ) {}

  static async open(server: "postgres" | "mariadb", database: string): Promise<ReadOnlySession> {
    const session = new ReadOnlySession(server, database, await connect(server, database));
    await session.reset([]);
    return session;
  }

  async isReadOnly(): Promise<boolean> {
    const sql = this.server === "postgres" ? "SELECT current_setting('transaction_read_only') AS on" : "SELECT @@tx_read_only AS `on`";
    const [row] = (await this.connection.query(sql)) as { on: string | number }[];
    return row!.on === "on" || Number(row!.on) === 1;
  }

  /** Runs `c` as the replica would get it, in a session reset for it. */
  async run(c: GuardCase): Promise<Outcome> {
    try {
      await this.reset(c.setUp ?? []);
      if (c.inTransaction) await this.connection.query(this.server === "postgres" ? "BEGIN" : "START TRANSACTION");
      for (const sql of c.before ?? []) await this.connection.query(sql);
    } catch (error) {
      return `error: the statements before it failed: ${(error as DriverError).message}`;
    }
    let outcome: Outcome;
    try {
      await this.connection.query(c.sql, c.parameters);
      outcome = "read";
    } catch (error) {
      const { code, errno, message } = error as DriverError;
      const readOnly = this.server === "postgres" ? code === "25006" : errno === 1792;
      outcome = readOnly ? "write" : `error: ${code ?? errno} ${message}`;
    }
    return outcome;
  }

  /** A session as the last case left it no more: then `setUp`, then read-only. */
  private async reset(setUp: readonly string[]): Promise<void> {
    const connection = this.connection;
    await connection.query("ROLLBACK").catch(() => undefined);
    if (this.server === "postgres") {
      await connection.query("DISCARD ALL");
      // A temporary table of the session's own, which a read-only session may still write.
      await connection.query("CREATE TEMP TABLE scratch (id int)");
      for (const sql of setUp) await connection.query(sql);
      await connection.query("SET default_transaction_read_only = on");
    } else {
      // A fresh session: user variables, temporary tables, prepared statements and locks are gone.
      await connection.end();
      this.connection = await connect(this.server, this.database);
      await this.connection.query("CREATE TEMPORARY TABLE scratch (id int)");
      for (const sql of setUp) await this.connection.query(sql);
      await this.connection.query("SET SESSION TRANSACTION READ ONLY");
    }
  }

  async close(): Promise<void> {
    await this.connection.end();
  }
}
