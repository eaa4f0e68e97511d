import { expect } from "chai";
import { QueryFailedError, type EntityTarget, type ObjectLiteral, type ReplicationMode } from "typeorm";
import { InvalidColumnValueError, SharedReplicationDataSource, UnsupportedSqlError } from "../src";
import { MyProduct, MyStock, Size, mysqlAppOptions } from "./fixtures/mysql-app-entities";
import { rejectionOf } from "./support/capture-error";

const ROLES: ReplicationMode[] = ["master", "slave"];

describe("production fidelity: MySQL column values", () => {
  let dataSource: SharedReplicationDataSource;

  before(async () => {
    dataSource = new SharedReplicationDataSource(mysqlAppOptions);
    await dataSource.initialize();
  });

  after(() => dataSource.destroy());

  /** Saves through the master, then reads the listed properties back through a master and a replica runner. */
  async function expectRoundTrip<T extends ObjectLiteral>(target: EntityTarget<T>, values: Partial<T>, expected: Partial<T>): Promise<T> {
    const saved = await dataSource.manager.save(target, values as T);
    for (const role of ROLES) {
      const runner = dataSource.createQueryRunner(role);
      try {
        const read = await runner.manager.findOneByOrFail(target, { id: (saved as unknown as { id: unknown }).id } as never);
        const actual = Object.fromEntries(Object.keys(expected).map((key) => [key, read[key]]));
        expect(actual, `read through the ${role} runner`).to.deep.equal(expected);
      } finally {
        await runner.release();
      }
    }
    return saved;
  }

  describe("text and binary", () => {
    it("should compare text case-insensitively, as MySQL's default _ci collations do, and binary collations exactly", async () => {
      const saved = await expectRoundTrip(MyProduct, { name: "Widget", sku: "AbC" }, { name: "Widget", sku: "AbC" });
      expect((await dataSource.manager.findOneBy(MyProduct, { name: "WIDGET" }))?.id).to.equal(saved.id);
      expect(await dataSource.manager.findOneBy(MyProduct, { sku: "abc" }), "utf8mb4_bin compares bytes").to.equal(null);
    });

    it("should enforce varchar lengths (255 when none is declared) and text byte limits", async () => {
      await expectRoundTrip(MyProduct, { slug: "s".repeat(255) }, { slug: "s".repeat(255) });
      expect(await rejectionOf(dataSource.manager.save(MyProduct, { slug: "s".repeat(256) }))).to.be.instanceOf(InvalidColumnValueError);
      expect(
        await rejectionOf(dataSource.manager.save(MyProduct, { teaser: "é".repeat(128) })),
        "tinytext holds 255 bytes",
      ).to.be.instanceOf(InvalidColumnValueError);
      await expectRoundTrip(
        MyProduct,
        { summary: "é".repeat(128), description: "d", manual: "m" },
        { summary: "é".repeat(128), description: "d", manual: "m" },
      );
    });

    it("should strip trailing spaces from char(n) as MySQL returns it", async () => {
      await expectRoundTrip(MyProduct, { country: "de  " }, { country: "de" });
    });

    it("should store enum values in their declared spelling and reject others with a query error", async () => {
      await expectRoundTrip(MyProduct, { size: "LARGE" as Size }, { size: Size.Large });
      expect(await rejectionOf(dataSource.manager.save(MyProduct, { size: "medium" as Size }))).to.be.instanceOf(QueryFailedError);
    });

    it("should return JSON with MySQL's key order, and a JSON string that is itself JSON parsed, as mysql2 and TypeORM do", async () => {
      await expectRoundTrip(MyProduct, { attributes: { zz: 1, a: { y: [1, "x"] } } }, { attributes: { a: { y: [1, "x"] }, zz: 1 } });
      await expectRoundTrip(MyProduct, { attributes: "123" }, { attributes: 123 });
      await expectRoundTrip(MyProduct, { attributes: "plain" }, { attributes: "plain" });
    });

    it("should keep uuid columns as given (TypeORM declares them varchar(36) on MySQL)", async () => {
      const saved = await expectRoundTrip(MyProduct, { externalId: "ABC-1" }, { externalId: "ABC-1" });
      expect((await dataSource.manager.findOneBy(MyProduct, { externalId: "abc-1" }))?.id).to.equal(saved.id);
    });

    it("should return blobs as Buffers, zero-pad binary(n) and enforce varbinary(n)", async () => {
      await expectRoundTrip(
        MyProduct,
        { thumbnail: Buffer.from("hi"), image: Buffer.alloc(0), checksum: Buffer.from([1]), token: Buffer.from([1, 2]) },
        { thumbnail: Buffer.from("hi"), image: Buffer.alloc(0), checksum: Buffer.from([1, 0, 0, 0]), token: Buffer.from([1, 2]) },
      );
      expect(await rejectionOf(dataSource.manager.save(MyProduct, { token: Buffer.alloc(9) }))).to.be.instanceOf(InvalidColumnValueError);
    });

    it("should leave simple-json and simple-array as TypeORM returns them", async () => {
      await expectRoundTrip(
        MyProduct,
        { dimensions: { w: 1, h: 2 }, colors: ["red", "blue"] },
        { dimensions: { w: 1, h: 2 }, colors: ["red", "blue"] },
      );
    });
  });

  describe("numbers, booleans and time", () => {
    it("should return decimal as strings rounded to the scale, DECIMAL meaning DECIMAL(10,0)", async () => {
      await expectRoundTrip(MyStock, { price: "12.345", rounded: 12.5 as unknown as string }, { price: "12.35", rounded: "13" });
    });

    it("should return bigint as strings and round fractional integers as MySQL does", async () => {
      const saved = await expectRoundTrip(
        MyStock,
        { units: "42", reserved: 1.5, shelf: -2, aisle: 8388607, bin: 255 },
        { units: "42", reserved: 2, shelf: -2, aisle: 8388607, bin: 255 },
      );
      expect((await dataSource.manager.findOneByOrFail(MyStock, { id: saved.id })).id).to.be.a("string");
      expect(await rejectionOf(dataSource.manager.save(MyStock, { bin: 256 })), "tinyint unsigned").to.be.instanceOf(
        InvalidColumnValueError,
      );
    });

    it("should return BOOLEAN as booleans and TINYINT flags as the numbers mysql2 returns", async () => {
      await expectRoundTrip(MyStock, { active: true, visible: false, flagged: 1 }, { active: true, visible: false, flagged: 1 });
    });

    it("should return FLOAT with 6 significant digits and DOUBLE exactly", async () => {
      await expectRoundTrip(MyStock, { weight: 3.14159265, volume: 0.1 + 0.2 }, { weight: 3.14159, volume: 0.30000000000000004 });
    });

    it("should round datetime to its fractional-second precision (whole seconds by default)", async () => {
      await expectRoundTrip(
        MyStock,
        {
          countedAt: new Date("2024-01-01T10:00:00.600Z"),
          scannedAt: new Date("2024-01-01T10:00:00.123Z"),
          syncedAt: new Date("2024-01-01T10:00:00.400Z"),
        },
        {
          countedAt: new Date("2024-01-01T10:00:01Z"),
          scannedAt: new Date("2024-01-01T10:00:00.123Z"),
          syncedAt: new Date("2024-01-01T10:00:00Z"),
        },
      );
      const beforeEpoch = await rejectionOf(dataSource.manager.save(MyStock, { syncedAt: new Date("1969-12-31T00:00:00Z") }));
      expect(beforeEpoch, "TIMESTAMP starts in 1970").to.be.instanceOf(InvalidColumnValueError);
    });

    it("should return date, time and year as MySQL does", async () => {
      await expectRoundTrip(
        MyStock,
        { expires: "2024-12-31", pickupAt: "10:30:15.7", season: 24 },
        { expires: "2024-12-31", pickupAt: "10:30:16", season: 2024 },
      );
    });
  });
  describe("raw SQL written for production", () => {
    it("should name MySQL syntax the engine cannot run, and leave Postgres syntax to fail as it does on MySQL", async () => {
      const mysqlOnly = await rejectionOf(dataSource.query("INSERT IGNORE INTO my_product (name) VALUES ('a')"));
      expect(mysqlOnly).to.be.instanceOf(UnsupportedSqlError);
      expect(mysqlOnly).to.include({ construct: "INSERT IGNORE" });
      // MySQL has no ILIKE either: the engine's own syntax error, as production's.
      const postgresOnly = await rejectionOf(dataSource.query("SELECT * FROM my_product WHERE name ILIKE 'a%'"));
      expect(postgresOnly).to.be.an("error").and.not.to.be.instanceOf(UnsupportedSqlError);
    });
  });
});
