import { expect } from "chai";
import { Column, DataSource, Entity, LockNotSupportedOnGivenDriverError, PrimaryGeneratedColumn, type DataSourceOptions } from "typeorm";
import { SharedReplicationDataSource, UnsupportedColumnTypeError, UnsupportedSqlError } from "../src";
import { mysqlAppOptions } from "./fixtures/mysql-app-entities";
import { PgNote, PgProfile, postgresAppOptions } from "./fixtures/postgres-app-entities";
import { rejectionOf } from "./support/capture-error";
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

describe("production fidelity: schema, unsupported features, isolation", () => {
  for (const [name, options] of [
    ["Postgres", postgresAppOptions],
    ["MySQL", mysqlAppOptions],
  ] as const) {
    it(`should find nothing to change when the ${name} schema is synchronized again`, async () => {
      const dataSource = new SharedReplicationDataSource(options, { engine: testCombination.engine });
      await dataSource.initialize();
      try {
        const pending = await dataSource.driver.createSchemaBuilder().log();
        expect(pending.upQueries.map((query) => query.query)).to.deep.equal([]);
        const { queries } = await dataSource.queryLog.capture(() => dataSource.synchronize());
        expect(queries.filter((query) => !/^(SELECT|PRAGMA|BEGIN|COMMIT)/i.test(query.sql)).map((query) => query.sql)).to.deep.equal([]);
      } finally {
        await dataSource.destroy();
      }
    });
  }

  const unsupported: [string, DataSourceOptions, string, string, string][] = [
    ["a Postgres type outside the reproduced list", { ...postgresAppOptions, entities: [PgSearch] }, "PgSearch", "document", "tsvector"],
    ["an array the pg driver returns unparsed", { ...postgresAppOptions, entities: [PgTagged] }, "PgTagged", "tags", "citext[]"],
    [
      "a collation that is not reproduced",
      { ...postgresAppOptions, entities: [PgLocalized] },
      "PgLocalized",
      "name",
      'varchar COLLATE "case_insensitive"',
    ],
    ["an array column on MySQL", { ...mysqlAppOptions, entities: [MyList] }, "MyList", "values", "int[]"],
  ] as [string, DataSourceOptions, string, string, string][];

  for (const [what, options, entity, column, columnType] of unsupported) {
    it(`should fail initialize with UnsupportedColumnTypeError for ${what}`, async () => {
      const dataSource = new SharedReplicationDataSource(options, { engine: testCombination.engine });
      const error = await rejectionOf(dataSource.initialize());
      expect(error).to.be.instanceOf(UnsupportedColumnTypeError);
      expect(error).to.include({ entity, column, columnType });
      expect((error as Error).message).to.contain(`${entity}.${column}`);
      expect(dataSource.isInitialized).to.equal(false);
    });
  }

  describe("raw SQL written for production", () => {
    let dataSource: SharedReplicationDataSource;

    before(async () => {
      dataSource = new SharedReplicationDataSource(postgresAppOptions, { engine: testCombination.engine });
      await dataSource.initialize();
    });

    after(() => dataSource.destroy());

    const statements: [string, string, string][] = [
      ["ILIKE", `SELECT * FROM "pg_profile" WHERE "email" ILIKE 'a%'`, "ILIKE"],
      ["a ::jsonb cast", `SELECT '{}'::jsonb`, "a Postgres cast (::type)"],
      ["NOW()", `SELECT NOW()`, "NOW()"],
      ["DISTINCT ON", `SELECT DISTINCT ON ("email") * FROM "pg_profile"`, "DISTINCT ON"],
      [
        "ON DUPLICATE KEY UPDATE",
        `INSERT INTO "pg_note" ("id", "code", "amount") VALUES (1, 'a', 1) ON DUPLICATE KEY UPDATE "code" = 'b'`,
        "ON DUPLICATE KEY UPDATE",
      ],
    ];

    for (const [what, sql, construct] of statements) {
      it(`should fail ${what} with UnsupportedSqlError naming the statement`, async () => {
        const error = await rejectionOf(dataSource.query(sql));
        expect(error).to.be.instanceOf(UnsupportedSqlError);
        expect(error).to.include({ sql, construct });
        expect((error as Error).message).to.contain(sql);
        expect((error as Error).cause, "the engine's own error").to.be.an("error");
      });
    }

    it("should bind numbered placeholders by number, in any order and repeated, as Postgres does", async () => {
      const rows = await dataSource.query(`SELECT $2 AS "second", $1 AS "first", $2 AS "again", '$1' AS "literal"`, ["a", "b"]);
      expect(rows).to.deep.equal([{ second: "b", first: "a", again: "b", literal: "$1" }]);
    });

    it("should not take a quoted identifier holding :: for a Postgres cast", async () => {
      const error = await rejectionOf(dataSource.query(`SELECT "email" AS "a::b" FROM "pg_profile" WHERE WHERE`));
      expect(error).to.be.an("error").and.not.to.be.instanceOf(UnsupportedSqlError);
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
      expect((error as Error).message).to.contain("no such table");
    });
  });

  describe("other DataSources using the same entity classes", () => {
    it("should leave a plain SQLite DataSource and its metadata as TypeORM makes them", async () => {
      const shared = new SharedReplicationDataSource(postgresAppOptions, { engine: testCombination.engine });
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

        const saved = await plain.getRepository(PgNote).save({ code: "too long", amount: "12.5" });
        const read = await plain.getRepository(PgNote).findOneByOrFail({ id: saved.id });
        expect(read, "plain SQLite neither enforces varchar(5) nor formats numeric").to.deep.include({ code: "too long", amount: 12.5 });

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
