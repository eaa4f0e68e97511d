import { expect } from "chai";
import { Column, DataSource, Entity, LockNotSupportedOnGivenDriverError, PrimaryGeneratedColumn, type DataSourceOptions } from "typeorm";
import { SharedReplicationDataSource, UnsupportedColumnTypeError, UnsupportedSqlError } from "../src";
import { mysqlAppOptions } from "./fixtures/mysql-app-entities";
import { PgNote, PgProfile, postgresAppOptions } from "./fixtures/postgres-app-entities";
import { rejectionOf } from "./support/capture-error";
import { expectPostgresError, PGLITE_START_TIMEOUT, POSTGRES_ENGINES, SQLSTATE, type FidelityEngine } from "./support/fidelity-engines";
import { plainInMemoryOptions, testCombination } from "./support/test-combination";

@Entity("pg_search")
class PgSearch {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column("tsvector")
  document!: string;
}

@Entity("pg_tagged")
class PgTagged {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column("citext", { array: true })
  tags!: string[];
}

@Entity("pg_localized")
class PgLocalized {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar", collation: "case_insensitive" })
  name!: string;
}

@Entity("my_list")
class MyList {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column("int", { array: true })
  values!: number[];
}

/** The statements `dataSource.synchronize()` would run to bring the schema in line with the entities. */
async function pendingSchemaChanges(dataSource: SharedReplicationDataSource): Promise<string[]> {
  return (await dataSource.driver.createSchemaBuilder().log()).upQueries.map((query) => query.query);
}

/** What `synchronize()` sends besides reading the schema and framing its transaction. */
async function synchronizeChanges(dataSource: SharedReplicationDataSource): Promise<string[]> {
  const { queries } = await dataSource.queryLog.capture(() => dataSource.synchronize());
  return queries.filter((query) => !/^(SELECT|PRAGMA|BEGIN|COMMIT|SAVEPOINT|RELEASE SAVEPOINT)/i.test(query.sql)).map((query) => query.sql);
}

/** Starts a DataSource of `options` on `engine` (PGlite's first start in a process takes seconds) and hands it to `use`. */
async function withDataSource(
  engine: FidelityEngine,
  options: DataSourceOptions,
  use: (dataSource: SharedReplicationDataSource) => Promise<void>,
) {
  const dataSource = new SharedReplicationDataSource(options, { engine });
  await dataSource.initialize();
  try {
    await use(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * What TypeORM's postgres driver finds to change in the Postgres application's schema on real
 * Postgres right after creating it: it reads a uuid column's gen_random_uuid() or
 * uuid_generate_v4() default back as a generated column, and casts in array and jsonb defaults
 * back in another spelling, so it sets those defaults again on every synchronize.
 */
const POSTGRES_RESYNCHRONIZED_DEFAULTS = [
  'ALTER TABLE "pg_document" ALTER COLUMN "id" DROP DEFAULT',
  'ALTER TABLE "pg_document" ALTER COLUMN "id" SET DEFAULT gen_random_uuid()',
  'ALTER TABLE "pg_document" ALTER COLUMN "token" DROP DEFAULT',
  'ALTER TABLE "pg_document" ALTER COLUMN "token" SET DEFAULT uuid_generate_v4()',
  `ALTER TABLE "pg_document" ALTER COLUMN "meta" SET DEFAULT '{}'::jsonb`,
  `ALTER TABLE "pg_document" ALTER COLUMN "keywords" SET DEFAULT '{}'::text[]`,
  'ALTER TABLE "pg_document" ALTER COLUMN "pages" SET DEFAULT ARRAY[1,2]::int[]',
];

describe("production fidelity: schema, unsupported features, isolation", () => {
  // On SQLite the cases test the emulation; on PGlite (the PGlite leg) they state what Postgres does.
  for (const engine of POSTGRES_ENGINES) {
    const onPostgres = engine === "pglite";

    describe(`Postgres, on ${engine}`, function () {
      // Most cases start a DataSource: on PGlite the first one starts the database, the next ones reuse it.
      if (onPostgres) this.timeout(PGLITE_START_TIMEOUT);

      if (onPostgres) {
        it("should find to change only the defaults TypeORM's postgres driver cannot read back when the schema is synchronized again", async () => {
          await withDataSource(engine, postgresAppOptions, async (dataSource) => {
            expect(await pendingSchemaChanges(dataSource)).to.deep.equal(POSTGRES_RESYNCHRONIZED_DEFAULTS);
            expect(await synchronizeChanges(dataSource)).to.deep.equal(POSTGRES_RESYNCHRONIZED_DEFAULTS);
          });
        });
      } else {
        it("should find nothing to change when the Postgres schema is synchronized again", async () => {
          await withDataSource(engine, postgresAppOptions, async (dataSource) => {
            expect(await pendingSchemaChanges(dataSource)).to.deep.equal([]);
            expect(await synchronizeChanges(dataSource)).to.deep.equal([]);
          });
        });
      }

      if (onPostgres) {
        it("should store a tsvector and return it as the text Postgres prints", async () => {
          await withDataSource(engine, { ...postgresAppOptions, entities: [PgSearch] }, async (dataSource) => {
            const saved = await dataSource.manager.save(PgSearch, { document: "the quick brown fox" });
            const read = await dataSource.manager.findOneByOrFail(PgSearch, { id: saved.id });
            expect(read.document).to.equal("'brown' 'fox' 'quick' 'the'");
          });
        });

        it("should return a citext[] column as the array literal pg leaves unparsed", async () => {
          await withDataSource(engine, { ...postgresAppOptions, entities: [PgTagged] }, async (dataSource) => {
            const saved = await dataSource.manager.save(PgTagged, { tags: ["Red", "blue", "a b", 'say "hi"'] });
            const read = await dataSource.manager.findOneByOrFail(PgTagged, { id: saved.id });
            expect(read.tags).to.equal('{Red,blue,"a b","say \\"hi\\""}');
          });
        });

        it("should fail initialize with Postgres' own error for a collation the database does not have", async () => {
          const dataSource = new SharedReplicationDataSource({ ...postgresAppOptions, entities: [PgLocalized] }, { engine });
          const error = await rejectionOf(dataSource.initialize());
          expectPostgresError(error, SQLSTATE.undefinedObject);
          expect((error as Error).message).to.equal('collation "case_insensitive" for encoding "UTF8" does not exist');
          expect(dataSource.isInitialized).to.equal(false);
        });
      } else {
        const unsupported: [string, DataSourceOptions, string, string, string][] = [
          [
            "a Postgres type outside the reproduced list",
            { ...postgresAppOptions, entities: [PgSearch] },
            "PgSearch",
            "document",
            "tsvector",
          ],
          ["an array the pg driver returns unparsed", { ...postgresAppOptions, entities: [PgTagged] }, "PgTagged", "tags", "citext[]"],
          [
            "a collation that is not reproduced",
            { ...postgresAppOptions, entities: [PgLocalized] },
            "PgLocalized",
            "name",
            'varchar COLLATE "case_insensitive"',
          ],
        ];
        for (const [what, options, entity, column, columnType] of unsupported) {
          it(`should fail initialize with UnsupportedColumnTypeError for ${what}`, async () => {
            const dataSource = new SharedReplicationDataSource(options, { engine });
            const error = await rejectionOf(dataSource.initialize());
            expect(error).to.be.instanceOf(UnsupportedColumnTypeError);
            expect(error).to.include({ entity, column, columnType });
            expect((error as Error).message).to.contain(`${entity}.${column}`);
            expect(dataSource.isInitialized).to.equal(false);
          });
        }
      }

      describe("raw SQL written for production", () => {
        let dataSource: SharedReplicationDataSource;

        before(async () => {
          dataSource = new SharedReplicationDataSource(postgresAppOptions, { engine });
          await dataSource.initialize();
          // What ILIKE and DISTINCT ON find on Postgres.
          await dataSource.manager.save(PgProfile, { email: "Alice@example.com" });
        });

        after(() => dataSource.destroy());

        type Rows = Record<string, unknown>[];
        // What the statement is, the statement, the construct the emulation names, and what Postgres does with it:
        // the rows it returns, or the SQLSTATE it fails with.
        const statements: [string, string, string, ((rows: Rows) => void) | string][] = [
          [
            "ILIKE",
            `SELECT * FROM "pg_profile" WHERE "email" ILIKE 'a%'`,
            "ILIKE",
            (rows) => expect(rows.map((row) => row.email)).to.deep.equal(["Alice@example.com"]),
          ],
          ["a ::jsonb cast", `SELECT '{}'::jsonb`, "a Postgres cast (::type)", (rows) => expect(rows).to.deep.equal([{ jsonb: {} }])],
          ["NOW()", `SELECT NOW()`, "NOW()", (rows) => expect(rows[0]!.now).to.be.instanceOf(Date)],
          [
            "DISTINCT ON",
            `SELECT DISTINCT ON ("email") * FROM "pg_profile"`,
            "DISTINCT ON",
            (rows) => expect(rows.map((row) => row.email)).to.deep.equal(["Alice@example.com"]),
          ],
          [
            "ON DUPLICATE KEY UPDATE",
            `INSERT INTO "pg_note" ("id", "code", "amount") VALUES (1, 'a', 1) ON DUPLICATE KEY UPDATE "code" = 'b'`,
            "ON DUPLICATE KEY UPDATE",
            SQLSTATE.syntaxError,
          ],
        ];

        for (const [what, sql, construct, postgres] of statements) {
          if (typeof postgres === "string") {
            it(`should fail ${what} with ${onPostgres ? "Postgres' own error" : "the engine's syntax error, not UnsupportedSqlError"}: it is not Postgres syntax`, async () => {
              const error = await rejectionOf(dataSource.query(sql));
              if (onPostgres) expectPostgresError(error, postgres);
              else expect(error).to.be.an("error").and.not.to.be.instanceOf(UnsupportedSqlError);
            });
          } else if (onPostgres && typeof postgres === "function") {
            it(`should run ${what} as Postgres does`, async () => {
              postgres((await dataSource.query(sql)) as Rows);
            });
          } else {
            it(`should fail ${what} with UnsupportedSqlError naming the statement`, async () => {
              const error = await rejectionOf(dataSource.query(sql));
              expect(error).to.be.instanceOf(UnsupportedSqlError);
              expect(error).to.include({ sql, construct });
              expect((error as Error).message).to.contain(sql);
              expect((error as Error).cause, "the engine's own error").to.be.an("error");
            });
          }
        }

        it("should bind numbered placeholders by number, in any order and repeated, as Postgres does", async () => {
          const rows = await dataSource.query(`SELECT $2 AS "second", $1 AS "first", $2 AS "again", '$1' AS "literal"`, ["a", "b"]);
          expect(rows).to.deep.equal([{ second: "b", first: "a", again: "b", literal: "$1" }]);
        });

        it("should not take a quoted identifier holding :: for a Postgres cast", async () => {
          const error = await rejectionOf(dataSource.query(`SELECT "email" AS "a::b" FROM "pg_profile" WHERE WHERE`));
          expect(error).to.be.an("error").and.not.to.be.instanceOf(UnsupportedSqlError);
          if (onPostgres) expectPostgresError(error, SQLSTATE.syntaxError);
        });

        it("should leave = CURRENT_TIMESTAMP inside a literal of an UPDATE as written", async () => {
          await dataSource.query(`INSERT INTO "pg_profile" ("id", "email") VALUES ('6c7a2f5e-9e1b-4c57-a1c2-0f1e2d3c4b5a', 'a@b.c')`);
          await dataSource.query(`UPDATE "pg_profile" SET "bio" = 'x = CURRENT_TIMESTAMP' WHERE "email" = 'a@b.c'`);
          const [row] = await dataSource.query(`SELECT "bio" FROM "pg_profile" WHERE "email" = 'a@b.c'`);
          expect(row).to.deep.equal({ bio: "x = CURRENT_TIMESTAMP" });
        });

        it("should leave errors of portable SQL as the engine reports them", async () => {
          const error = await rejectionOf(dataSource.query(`SELECT * FROM "no_such_table"`));
          expect(error).not.to.be.instanceOf(UnsupportedSqlError);
          if (onPostgres) {
            expectPostgresError(error, SQLSTATE.undefinedTable);
            expect((error as Error).message).to.equal('relation "no_such_table" does not exist');
          } else {
            expect((error as Error).message).to.contain("no such table");
          }
        });
      });

      describe("other DataSources using the same entity classes", () => {
        it("should leave a plain SQLite DataSource and its metadata as TypeORM makes them", async () => {
          const shared = new SharedReplicationDataSource(postgresAppOptions, { engine });
          await shared.initialize();
          // On the combination's engine: the only SQLite driver this run can load (and 1.x has no "sqlite").
          const plain = new DataSource({
            ...plainInMemoryOptions(testCombination.engine),
            entities: [PgNote],
            synchronize: true,
          } as DataSourceOptions);
          await plain.initialize();
          try {
            const sharedError = await rejectionOf(shared.getRepository(PgNote).save({ code: "too long", amount: "1" }));
            expect(sharedError, "varchar(5) is enforced on the shared DataSource").to.be.an("error");
            if (onPostgres) expectPostgresError(sharedError, SQLSTATE.stringDataRightTruncation);

            const saved = await plain.getRepository(PgNote).save({ code: "too long", amount: "12.5" });
            const read = await plain.getRepository(PgNote).findOneByOrFail({ id: saved.id });
            expect(read, "plain SQLite neither enforces varchar(5) nor formats numeric").to.deep.include({
              code: "too long",
              amount: 12.5,
            });

            const lock = await rejectionOf(
              plain.transaction((manager) => manager.findOne(PgNote, { where: { id: saved.id }, lock: { mode: "pessimistic_write" } })),
            );
            expect(lock, "plain SQLite keeps TypeORM's lock check").to.be.instanceOf(LockNotSupportedOnGivenDriverError);

            expect(plain.driver.normalizeType({ type: "uuid" })).to.equal("varchar");
            expect(plain.getMetadata(PgNote).findColumnWithPropertyName("code")!.type).to.equal("varchar");
            expect(
              shared.getMetadata(PgProfile).findColumnWithPropertyName("email")!.type,
              "the shared one keeps the production type",
            ).to.equal("citext");
          } finally {
            await plain.destroy();
            await shared.destroy();
          }
        });
      });
    });
  }

  describe("MySQL", () => {
    it("should find nothing to change when the MySQL schema is synchronized again", async () => {
      await withDataSource(testCombination.engine, mysqlAppOptions, async (dataSource) => {
        expect(await pendingSchemaChanges(dataSource)).to.deep.equal([]);
        expect(await synchronizeChanges(dataSource)).to.deep.equal([]);
      });
    });

    it("should fail initialize with UnsupportedColumnTypeError for an array column on MySQL", async () => {
      const dataSource = new SharedReplicationDataSource({ ...mysqlAppOptions, entities: [MyList] }, { engine: testCombination.engine });
      const error = await rejectionOf(dataSource.initialize());
      expect(error).to.be.instanceOf(UnsupportedColumnTypeError);
      expect(error).to.include({ entity: "MyList", column: "values", columnType: "int[]" });
      expect((error as Error).message).to.contain("MyList.values");
      expect(dataSource.isInitialized).to.equal(false);
    });
  });
});
