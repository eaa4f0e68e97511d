import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { DataSourceOptions } from "typeorm";
import { testServer } from "../ormconfig.test";
import { ReplicaWriteError, SharedReplicationDataSource } from "../src";
import { classifyStatement } from "../src/sql/statement-classifier";
import type { SqlDialect } from "../src/sql/tokenizer";
import { GUARD_CASES, type GuardCase } from "./fixtures/guard-cases";
import { Oracle, ReadOnlySession, type Connection, type Outcome, type SessionFamily } from "./support/read-only-session";
import { plainInMemoryOptions, testCombination } from "./support/test-combination";

const FAMILIES = ["postgres", "mysql", "sqlite"] as const;

/** What a replica does with the statement, as the guard decides it: transaction control is a read. */
const guardVerdict = (sql: string, family: SqlDialect) => (classifyStatement(sql, family, true) === "write" ? "write" : "read");

const describeCase = (c: GuardCase) => `${JSON.stringify(c.sql)}: expected ${c.expected} (${c.reason})`;

/** A case a read-only session of PGlite answers otherwise than the server leg's, and why. */
interface OracleDifference {
  readonly sql: string;
  readonly outcome: Outcome;
  readonly reason: string;
}

/**
 * Where PGlite's Postgres (18.6 in PGlite 0.5.16) answers otherwise than the server leg's (Postgres
 * 15 on the CI machine): each is checked to be answered as listed, and left out of the checks
 * against the table.
 */
const PGLITE_DIFFERENCES: readonly OracleDifference[] = [
  {
    sql: "SELECT lo_create(0)",
    outcome: "write",
    reason:
      "Postgres 16 and later refuse large-object writes in a read-only transaction (25006 cannot execute lo_create()), as a standby does " +
      "and the guard does; Postgres 15 runs it, which is what the table's exclusion says",
  },
];

/** A read the library's PGlite engine fails, though PGlite's read-only session ran it, and why. */
interface EngineLimit {
  readonly sql: string;
  readonly error: RegExp;
  readonly reason: string;
}

/**
 * Reads the oracle's session runs and a replica runner of the library's PGlite engine cannot: it
 * runs every statement inside the test's transaction. None is a ReplicaWriteError; each is checked
 * to fail as listed.
 */
const PGLITE_ENGINE_LIMITS: readonly EngineLimit[] = [
  {
    sql: "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    error: /SET TRANSACTION ISOLATION LEVEL must be called before any query/,
    reason:
      "the application's BEGIN opens a savepoint in the test's transaction, which has run queries already, so its level can no longer change (README: isolation levels)",
  },
  {
    sql: "DISCARD ALL",
    error: /DISCARD ALL cannot run inside a transaction block/,
    reason: "the test's transaction is always open on the connection",
  },
  {
    sql: "BEGIN; SELECT 1; COMMIT",
    error: /transaction control the library cannot read as one statement/,
    reason: "UnsupportedSqlError by design: transaction control among other statements could end the test's transaction",
  },
  {
    sql: "SAVEPOINT a; RELEASE a",
    error: /transaction control the library cannot read as one statement/,
    reason: "UnsupportedSqlError by design: transaction control among other statements could end the test's transaction",
  },
];

/** What Postgres' DISCARD ALL does that may run inside a transaction: the session state cases leave behind. */
const SESSION_RESET = [
  "CLOSE ALL",
  "SET SESSION AUTHORIZATION DEFAULT",
  "RESET ALL",
  "DEALLOCATE ALL",
  "UNLISTEN *",
  "SELECT pg_advisory_unlock_all()",
];

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
        expect(await writesNotRefused(dataSource, cases)).to.deep.equal([]);
      });

      it(
        family === "sqlite"
          ? "should run every read, and refuse none with ReplicaWriteError"
          : "should refuse no read with ReplicaWriteError (SQLite may reject the production syntax itself)",
        async () => {
          const wrong: string[] = [];
          for (const c of cases.filter((c) => c.expected === "read" && !c.engineRejects)) {
            const error = await readThroughReplica(dataSource, c, false);
            if (error instanceof ReplicaWriteError || (family === "sqlite" && error !== undefined))
              wrong.push(`${describeCase(c)}: ${String(error)}`);
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
      const database = `test_tokenizer_guard_${process.pid}`;
      const oracle = new Oracle(GUARD_CASES[oracleFamily]);

      before(async () => {
        // Fails loudly when the server cannot be reached: the server legs never skip the oracle.
        await createScratchDatabase(server, database);
        await oracle.ask(await ReadOnlySession.open(oracleFamily, () => connect(server, database)));
      });

      after(async () => {
        await oracle.close();
        await dropScratchDatabase(server, database);
      });

      itAgreesWithTheOracle(oracleFamily, oracle);
    });
  }

  // The PGlite leg's oracle: the same cases on a read-only session of a PGlite of the test's own.
  if (testCombination.postgres === "pglite") {
    describe("postgres: on PGlite", function () {
      // A new PGlite cluster takes about 3 s to start, the library's own one more.
      this.timeout(60_000);
      const cases = GUARD_CASES.postgres;
      const oracle = new Oracle(cases);
      let pglite: Connection | undefined;

      before(async () => {
        // A PGlite of the test's own, not the library's: the oracle must not share what it checks.
        const { PGlite } = await import("@electric-sql/pglite");
        const connection = (pglite = pgliteConnection(await PGlite.create()));
        for (const sql of SERVER_SCHEMA.postgres) await connection.query(sql);
        await oracle.ask(await ReadOnlySession.open("postgres", () => Promise.resolve(connection)));
      });

      // The session's connection, closed even when the session never opened.
      after(() => pglite?.end());

      describe("against a read-only PGlite session", () => {
        itAgreesWithTheOracle("postgres", oracle, PGLITE_DIFFERENCES);

        it(`should answer as listed the ${PGLITE_DIFFERENCES.length} case(s) where PGlite's Postgres differs from the server leg's`, () => {
          const wrong: string[] = [];
          for (const difference of PGLITE_DIFFERENCES) {
            const c = cases.find((c) => c.sql === difference.sql);
            const outcome = c && oracle.outcomes.get(c);
            if (outcome !== difference.outcome)
              wrong.push(`${difference.sql}: the session says ${outcome ?? "nothing (not in the table, or not sent)"}`);
          }
          expect(wrong).to.deep.equal([]);
        });
      });

      describe("through a replica runner of a SharedReplicationDataSource on PGlite", () => {
        let dataSource: SharedReplicationDataSource;

        before(async () => {
          dataSource = new SharedReplicationDataSource({ type: "postgres", entities: [] } as DataSourceOptions, {
            replicas: 1,
            engine: "pglite",
          });
          await dataSource.initialize();
          for (const sql of SERVER_SCHEMA.postgres) await dataSource.query(sql);
        });

        after(() => dataSource?.destroy());

        it("should refuse every write with ReplicaWriteError before it reaches PGlite", async () => {
          const before = await dataSource.query(SCHEMA_STATE);
          expect(await writesNotRefused(dataSource, cases)).to.deep.equal([]);
          expect(await dataSource.query(SCHEMA_STATE)).to.deep.equal(before);
        });

        it("should run every read, failing one only where the read-only PGlite session failed it too, or as listed", async () => {
          const wrong = PGLITE_ENGINE_LIMITS.filter((limit) => !cases.some((c) => c.sql === limit.sql && c.expected === "read")).map(
            (limit) => `${limit.sql}: listed as a limit, but not a read of the table`,
          );
          for (const c of cases.filter((c) => c.expected === "read")) {
            const error = await readThroughReplica(dataSource, c, true);
            // What the oracle's DISCARD ALL ends and a transaction does not: the next case must not see it.
            for (const sql of SESSION_RESET) await dataSource.query(sql);
            const limit = PGLITE_ENGINE_LIMITS.find((limit) => limit.sql === c.sql);
            const outcome = oracle.outcomes.get(c);
            if (limit) {
              if (!(error instanceof Error) || error instanceof ReplicaWriteError || !limit.error.test(error.message))
                wrong.push(`${describeCase(c)}: ${String(error ?? "ran")}, not as listed: ${limit.error}`);
            } else if (error !== undefined && (error instanceof ReplicaWriteError || !outcome?.startsWith("error"))) {
              wrong.push(`${describeCase(c)}: ${String(error)}; the session says ${outcome ?? "nothing (not sent)"}`);
            }
          }
          expect(wrong).to.deep.equal([]);
        });
      });
    });
  }
});

/** The oracle's three checks, the same on a server and on PGlite. */
function itAgreesWithTheOracle(family: SessionFamily, oracle: Oracle, differences: readonly OracleDifference[] = []): void {
  // Listed differences of the session's Postgres are checked on their own.
  const answered = () => [...oracle.outcomes].filter(([c]) => !differences.some((difference) => difference.sql === c.sql));

  it("should run the oracle in a session that refuses writes", async () => {
    expect(await oracle.isReadOnly()).to.equal(true);
    expect(oracle.outcomes.size).to.be.at.least(oracle.cases.length - 20);
  });

  it("should agree with the guard, and the table, on every case the session answers as a standby would", () => {
    const wrong: string[] = [];
    for (const [c, outcome] of answered()) {
      if (c.standbyRefuses || c.guardRefuses) continue;
      const guard = guardVerdict(c.sql, family);
      if (outcome !== c.expected || guard !== outcome) wrong.push(`${describeCase(c)}: the session says ${outcome}, the guard ${guard}`);
    }
    expect(wrong).to.deep.equal([]);
  });

  it("should run every write the guard refuses where only a standby, or the guard by design, refuses it", () => {
    const wrong: string[] = [];
    for (const [c, outcome] of answered()) {
      if (!c.standbyRefuses && !c.guardRefuses) continue;
      if (outcome !== "read") wrong.push(`${describeCase(c)}: the session says ${outcome}, so the exclusion is wrong`);
    }
    expect(wrong).to.deep.equal([]);
  });
}

/** The write cases a fresh replica runner of `dataSource` did not refuse with ReplicaWriteError, or let reach the engine. */
async function writesNotRefused(dataSource: SharedReplicationDataSource, cases: readonly GuardCase[]): Promise<string[]> {
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
  return wrong;
}

/**
 * Runs read case `c` through a fresh replica runner of `dataSource`, after the statements `before`
 * it, and returns what it failed with. `asTheOracle`: inside a transaction where the oracle runs
 * it in one, and failing with the statements before it; otherwise those may fail.
 */
async function readThroughReplica(dataSource: SharedReplicationDataSource, c: GuardCase, asTheOracle: boolean): Promise<unknown> {
  const replica = dataSource.createQueryRunner("slave");
  try {
    if (asTheOracle && c.inTransaction) await replica.query("BEGIN");
    for (const sql of c.before ?? []) await replica.query(sql).catch((error: unknown) => (asTheOracle ? Promise.reject(error) : undefined));
    return await replica.query(c.sql, c.parameters as unknown[] | undefined).then(
      () => undefined,
      (failure: unknown) => failure,
    );
  } catch (error) {
    return error;
  } finally {
    // Ends what a BEGIN of the case (or before it) opened; fails harmlessly where nothing is open.
    await replica.query("ROLLBACK").catch(() => undefined);
    await replica.release();
  }
}

/**
 * A PGlite instance as the oracle's connection, sending what `pg` would: a string without
 * parameters in the simple query protocol (every statement of it), one with parameters alone.
 */
function pgliteConnection(pglite: PGlite): Connection {
  return {
    query: async (sql, parameters) =>
      parameters ? (await pglite.query(sql, [...parameters])).rows : (await pglite.exec(sql)).flatMap((result) => result.rows),
    end: () => pglite.close(),
  };
}

/** What the write cases would change in SERVER_SCHEMA.postgres: rows, relations, the sequence. */
const SCHEMA_STATE = `SELECT (SELECT count(*) FROM item) AS items, (SELECT count(*) FROM note) AS notes, (SELECT is_called FROM seq) AS seq,
  (SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace) AS relations`;

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
