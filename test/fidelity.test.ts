import { expect } from "chai";
import { MoreThan, QueryFailedError, type EntityTarget, type ObjectLiteral, type ReplicationMode } from "typeorm";
import { InvalidColumnValueError, SharedReplicationDataSource, UnsupportedColumnValueError } from "../src";
import {
  PgAuditEvent,
  PgCollection,
  PgLedgerEntry,
  PgMeasurement,
  PgProfile,
  PgSchedule,
  Priority,
  Role,
  postgresAppOptions,
} from "./fixtures/postgres-app-entities";
import { rejectionOf } from "./support/capture-error";
import { testCombination } from "./support/test-combination";
import {
  enumerableKeys,
  expectPostgresError,
  pgParsed,
  PGLITE_START_TIMEOUT,
  POSTGRES_ENGINES,
  SQLSTATE,
} from "./support/fidelity-engines";

const ROLES: ReplicationMode[] = ["master", "slave"];

/** Postgres' type oid of `interval`. */
const INTERVAL_OID = 1186;

// On SQLite the cases test the emulation; on PGlite (the PGlite leg) they state what Postgres does.
for (const engine of POSTGRES_ENGINES) {
  describe(`production fidelity: Postgres column values, on ${engine}`, () => {
    const onPostgres = engine === "pglite";
    let dataSource: SharedReplicationDataSource;

    before(async function () {
      this.timeout(PGLITE_START_TIMEOUT);
      dataSource = new SharedReplicationDataSource(postgresAppOptions, { engine });
      await dataSource.initialize();
    });

    after(() => dataSource.destroy());

    /** Saves through the master, then reads the row back through a master and a replica runner. */
    async function writeAndRead<T extends ObjectLiteral>(target: EntityTarget<T>, values: Partial<T>): Promise<Record<ReplicationMode, T>> {
      const saved = await dataSource.manager.save(target, values as T);
      const reads = {} as Record<ReplicationMode, T>;
      for (const role of ROLES) {
        const runner = dataSource.createQueryRunner(role);
        try {
          reads[role] = await runner.manager.findOneByOrFail(target, { id: (saved as unknown as { id: unknown }).id } as never);
        } finally {
          await runner.release();
        }
      }
      return reads;
    }

    /** Asserts that both runners read `expected` (as pg returns it) for the listed properties. */
    function expectBoth<T extends ObjectLiteral>(reads: Record<ReplicationMode, T>, expected: Partial<T>): void {
      for (const role of ROLES) {
        const actual = Object.fromEntries(Object.keys(expected).map((key) => [key, reads[role][key]]));
        expect(actual, `read through the ${role} runner`).to.deep.equal(expected);
      }
    }

    /**
     * Asserts a value production rejects was rejected: on PGlite by Postgres itself, with SQLSTATE
     * `code`; on SQLite, which would store it, by the emulation, before the statement is sent.
     */
    function expectRejected(error: unknown, code: string): void {
      if (onPostgres) expectPostgresError(error, code);
      else expect(error).to.be.instanceOf(InvalidColumnValueError);
    }

    describe("json, uuid, text, binary, network types", () => {
      it("should return json and jsonb objects and arrays, with jsonb's key order", async () => {
        const reads = await writeAndRead(PgProfile, {
          email: "json@example.com",
          settings: { zeta: 1, alpha: [1, "x", null] },
          document: { bb: 1, a: { d: 1, c: [2, { z: 0, y: 1 }] }, ccc: true },
        });
        // pg returns json exactly as written and jsonb with keys ordered by length, then bytes.
        expectBoth(reads, {
          settings: { zeta: 1, alpha: [1, "x", null] },
          document: { a: { c: [2, { y: 1, z: 0 }], d: 1 }, bb: 1, ccc: true },
        });
        expect(Object.keys(reads.slave.settings as object)).to.deep.equal(["zeta", "alpha"]);
        expect(Object.keys(reads.slave.document as object)).to.deep.equal(["a", "bb", "ccc"]);

        const scalars = await writeAndRead(PgProfile, { email: "json-array@example.com", settings: [1, 2, 3], document: "just a string" });
        expectBoth(scalars, { settings: [1, 2, 3], document: "just a string" });
      });

      it("should return uuids lowercase and find them by any case, as the uuid type compares", async () => {
        const reads = await writeAndRead(PgProfile, { email: "uuid@example.com", externalId: "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11" });
        expectBoth(reads, { externalId: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" });
        expect(reads.master.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        const found = await dataSource.manager.findOneBy(PgProfile, { externalId: "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11" });
        expect(found?.id).to.equal(reads.master.id);
      });

      it("should reject a malformed uuid as Postgres does", async () => {
        const error = await rejectionOf(dataSource.manager.save(PgProfile, { email: "bad-uuid@example.com", externalId: "not-a-uuid" }));
        expectRejected(error, SQLSTATE.invalidTextRepresentation);
        if (!onPostgres) expect(error).to.include({ entity: "PgProfile", column: "externalId", columnType: "uuid" });
      });

      it("should compare citext case-insensitively, unique constraint included", async () => {
        const reads = await writeAndRead(PgProfile, { email: "Mixed.Case@Example.com" });
        expectBoth(reads, { email: "Mixed.Case@Example.com" });
        const found = await dataSource.manager.findOneBy(PgProfile, { email: "mixed.case@EXAMPLE.com" });
        expect(found?.id).to.equal(reads.master.id);
        const duplicate = await rejectionOf(dataSource.manager.save(PgProfile, { email: "MIXED.CASE@example.com" }));
        expect(duplicate).to.be.instanceOf(QueryFailedError);
        if (onPostgres) expectPostgresError(duplicate, SQLSTATE.uniqueViolation);
      });

      it("should enforce varchar(n), pad char(n) and keep text as Postgres does", async () => {
        const reads = await writeAndRead(PgProfile, {
          email: "text@example.com",
          nickname: "x".repeat(20),
          displayName: "trailing spaces are cut" + " ".repeat(30),
          city: "Zürich",
          currency: "EU",
          bio: "line one\nline two",
        });
        expectBoth(reads, {
          nickname: "x".repeat(20),
          displayName: "trailing spaces are cut" + " ".repeat(17),
          city: "Zürich",
          currency: "EU ",
          bio: "line one\nline two",
        });
        const byPaddedCode = await dataSource.manager.findOneBy(PgProfile, { currency: "EU" });
        expect(byPaddedCode?.id, "char(n) compares without trailing spaces").to.equal(reads.master.id);

        const tooLong = await rejectionOf(dataSource.manager.save(PgProfile, { email: "long@example.com", nickname: "x".repeat(21) }));
        expectRejected(tooLong, SQLSTATE.stringDataRightTruncation);
        if (onPostgres) {
          expect((tooLong as Error).message).to.equal("value too long for type character varying(20)");
        } else {
          expect((tooLong as InvalidColumnValueError).columnType).to.equal("varchar(20)");
          expect((tooLong as Error).message)
            .to.contain("PgProfile.nickname")
            .and.to.contain("at most 20");
        }
      });

      it("should return bytea as a Buffer", async () => {
        const reads = await writeAndRead(PgProfile, { email: "bytes@example.com", avatar: Buffer.from([0, 1, 254, 255]) });
        expectBoth(reads, { avatar: Buffer.from([0, 1, 254, 255]) });
        expect(Buffer.isBuffer(reads.slave.avatar)).to.equal(true);
        const hex = await writeAndRead(PgProfile, { email: "hex@example.com", avatar: "\\x00ff" as unknown as Buffer });
        expectBoth(hex, { avatar: Buffer.from([0, 255]) });
      });

      it("should return inet, cidr and macaddr as the text Postgres prints", async () => {
        const reads = await writeAndRead(PgProfile, {
          email: "net@example.com",
          lastIp: "2001:0DB8:0000:0000:0000:0000:0000:0001/128",
          network: "10.1.0.0/16",
          device: "08-00-2B-01-02-03",
        });
        expectBoth(reads, { lastIp: "2001:db8::1", network: "10.1.0.0/16", device: "08:00:2b:01:02:03" });
        const v4 = await writeAndRead(PgProfile, { email: "net4@example.com", lastIp: "192.168.0.1/24" });
        expectBoth(v4, { lastIp: "192.168.0.1/24" });
        const hostBits = await rejectionOf(dataSource.manager.save(PgProfile, { email: "cidr@example.com", network: "10.1.0.1/16" }));
        expectRejected(hostBits, SQLSTATE.invalidTextRepresentation);
      });

      it("should leave simple-json and simple-array as TypeORM returns them", async () => {
        const reads = await writeAndRead(PgProfile, { email: "simple@example.com", preferences: { theme: "dark" }, labels: ["a", "b"] });
        expectBoth(reads, { preferences: { theme: "dark" }, labels: ["a", "b"] });
      });
    });

    describe("numbers and booleans", () => {
      it("should return numeric and decimal as strings with the column's scale", async () => {
        const reads = await writeAndRead(PgMeasurement, { balance: 12.5 as unknown as string, ratio: "1.23456", exact: "1.5" });
        expectBoth(reads, { balance: "12.50", ratio: "1.235", exact: "1.5" });
        const halfAwayFromZero = await writeAndRead(PgMeasurement, { balance: "-0.125", ratio: "0.0005" });
        expectBoth(halfAwayFromZero, { balance: "-0.13", ratio: "0.001" });
      });

      it("should convert values written by update() and hand transformers what pg returns", async () => {
        const saved = await dataSource.manager.save(PgMeasurement, { balance: "1", price: 19.999 });
        await dataSource.manager.update(PgMeasurement, { id: saved.id }, { balance: "7.005" });
        const read = await dataSource.manager.findOneByOrFail(PgMeasurement, { id: saved.id });
        expect(read).to.deep.include({ balance: "7.01", price: 20 });
      });

      it("should compare numeric columns as numbers", async () => {
        await dataSource.manager.save(PgMeasurement, [{ balance: "9.99" }, { balance: "100.00" }, { balance: "20" }]);
        const rows = await dataSource.manager.find(PgMeasurement, { where: { balance: MoreThan("10") }, order: { balance: "ASC" } });
        expect(rows.map((row) => row.balance).slice(0, 2)).to.deep.equal(["12.50", "20.00"]);
        expect(rows.map((row) => row.balance))
          .to.include("100.00")
          .and.not.to.include("9.99");
      });

      it("should reject a numeric that overflows its precision", async () => {
        const overflow = await rejectionOf(dataSource.manager.save(PgMeasurement, { balance: "123456789.12" }));
        expectRejected(overflow, SQLSTATE.numericValueOutOfRange);
        expect((overflow as Error).message).to.contain("numeric field overflow");
      });

      if (onPostgres) {
        it("should return an unconstrained numeric with every digit and trailing zero written", async () => {
          const reads = await writeAndRead(PgMeasurement, { exact: "1234567890.1234567" });
          expectBoth(reads, { exact: "1234567890.1234567" });
          const trailingZeros = await writeAndRead(PgMeasurement, { exact: "1.500" });
          expectBoth(trailingZeros, { exact: "1.500" });
        });
      } else {
        it("should refuse an unconstrained numeric with more digits than a double holds, or trailing zeros it would drop", async () => {
          const tooPrecise = await rejectionOf(dataSource.manager.save(PgMeasurement, { exact: "1234567890.1234567" }));
          expect(tooPrecise).to.be.instanceOf(UnsupportedColumnValueError);
          const trailingZeros = await rejectionOf(dataSource.manager.save(PgMeasurement, { exact: "1.500" }));
          expect(trailingZeros).to.be.instanceOf(UnsupportedColumnValueError);
        });
      }

      it("should return bigint and int8 as strings, and smallint and integer as numbers", async () => {
        const reads = await writeAndRead(PgMeasurement, {
          visits: "9007199254740991",
          bytes: 5 as unknown as string,
          level: -32768,
          count: 2147483647,
          rank: 7,
        });
        expectBoth(reads, { visits: "9007199254740991", bytes: "5", level: -32768, count: 2147483647, rank: 7 });
      });

      it("should reject integers Postgres rejects", async () => {
        const outOfRange = await rejectionOf(dataSource.manager.save(PgMeasurement, { level: 32768 }));
        expectRejected(outOfRange, SQLSTATE.numericValueOutOfRange);
        const fraction = await rejectionOf(dataSource.manager.save(PgMeasurement, { count: 1.5 }));
        expectRejected(fraction, SQLSTATE.invalidTextRepresentation);
        const beyondInt8 = await rejectionOf(dataSource.manager.save(PgMeasurement, { visits: "9223372036854775808" }));
        expectRejected(beyondInt8, SQLSTATE.numericValueOutOfRange);
      });

      if (onPostgres) {
        it("should return a bigint beyond Number.MAX_SAFE_INTEGER with every digit", async () => {
          const reads = await writeAndRead(PgMeasurement, { visits: "9007199254740993", bytes: "-9223372036854775808" });
          expectBoth(reads, { visits: "9007199254740993", bytes: "-9223372036854775808" });
        });
      } else {
        it("should refuse a bigint beyond Number.MAX_SAFE_INTEGER, which the engine would round", async () => {
          const unsafe = await rejectionOf(dataSource.manager.save(PgMeasurement, { visits: "9007199254740993" }));
          expect(unsafe).to.be.instanceOf(UnsupportedColumnValueError);
        });
      }

      it("should return double precision exactly and real as a 4-byte float prints", async () => {
        const reads = await writeAndRead(PgMeasurement, { score: 0.1 + 0.2, weight: 3.14159265 });
        expectBoth(reads, { score: 0.30000000000000004, weight: 3.1415927 });
        const tenth = await writeAndRead(PgMeasurement, { weight: 0.1 });
        expectBoth(tenth, { weight: 0.1 });
      });

      it("should return boolean and bool as booleans, accepting Postgres' spellings", async () => {
        const reads = await writeAndRead(PgMeasurement, { active: true, verified: "yes" as unknown as boolean, archived: false });
        expectBoth(reads, { active: true, verified: true, archived: false });
        const invalid = await rejectionOf(dataSource.manager.save(PgMeasurement, { active: "maybe" as unknown as boolean }));
        expectRejected(invalid, SQLSTATE.invalidTextRepresentation);
      });
    });

    describe("time and enums", () => {
      it("should return timestamptz, timestamp with time zone, timestamp and Date columns as the same instant", async () => {
        const reads = await writeAndRead(PgSchedule, {
          startsAt: new Date("2024-03-01T10:00:00.123Z"),
          endsAt: new Date("2024-03-01T12:00:00Z"),
          localAt: new Date("2024-03-01T12:34:56.789Z"),
          plainAt: new Date("1999-12-31T23:59:59.999Z"),
        });
        expectBoth(reads, {
          startsAt: new Date("2024-03-01T10:00:00.123Z"),
          endsAt: new Date("2024-03-01T12:00:00Z"),
          localAt: new Date("2024-03-01T12:34:56.789Z"),
          plainAt: new Date("1999-12-31T23:59:59.999Z"),
        });
        expect(reads.slave.startsAt).to.be.instanceOf(Date);
      });

      it("should read timestamptz strings as production does: with no offset, in the server's UTC zone (0.3) or the process's (1.x)", async () => {
        // TypeORM 0.3 sends a timestamptz string as given; 1.x parses it first (dayjs), in the process's time zone.
        const parsedByTypeOrm = testCombination.typeorm === "1.x";
        const noOffset = (local: string) => new Date(parsedByTypeOrm ? local : `${local}Z`);
        const reads = await writeAndRead(PgSchedule, {
          startsAt: "2024-03-01 10:00:00" as unknown as Date,
          endsAt: "2024-03-01T10:00:00+02:00" as unknown as Date,
        });
        expectBoth(reads, { startsAt: noOffset("2024-03-01T10:00:00"), endsAt: new Date("2024-03-01T08:00:00Z") });
        const invalid = dataSource.manager.save(PgSchedule, { startsAt: "2024-02-30 10:00:00" as unknown as Date });
        if (parsedByTypeOrm) {
          // dayjs rolls February 30 over to March 1 before Postgres sees it.
          const { id } = await invalid;
          expect((await dataSource.manager.findOneByOrFail(PgSchedule, { id })).startsAt).to.deep.equal(noOffset("2024-03-01T10:00:00"));
        } else {
          expectRejected(await rejectionOf(invalid), SQLSTATE.datetimeFieldOverflow);
        }
      });

      it("should find timestamps by Date parameters", async () => {
        const at = new Date("2030-01-02T03:04:05.678Z");
        const saved = await dataSource.manager.save(PgSchedule, { startsAt: at });
        const found = await dataSource.manager.findOneBy(PgSchedule, { startsAt: at });
        expect(found?.id).to.equal(saved.id);
      });

      it("should return date as a YYYY-MM-DD string and time as HH:MM:SS", async () => {
        const reads = await writeAndRead(PgSchedule, { day: "2024-02-29", opensAt: "9:30" });
        expectBoth(reads, { day: "2024-02-29", opensAt: "09:30:00" });
        const fromDate = await writeAndRead(PgSchedule, {
          day: new Date(2024, 0, 15, 18, 0) as unknown as string,
          opensAt: "23:59:59.250",
        });
        expectBoth(fromDate, { day: "2024-01-15", opensAt: "23:59:59.25" });
        const notADay = await rejectionOf(dataSource.manager.save(PgSchedule, { day: "2023-02-29" }));
        expectRejected(notADay, SQLSTATE.datetimeFieldOverflow);
      });

      it("should return interval as the postgres-interval object pg returns", async () => {
        // Written, as Postgres prints it (what pg parses), and the fields pg's object then has.
        const cases: [unknown, string, object][] = [
          ["1 day 2 hours", "1 day 02:00:00", { days: 1, hours: 2 }],
          ["90 minutes", "01:30:00", { hours: 1, minutes: 30 }],
          [
            "P1Y2M3DT4H5M6.5S",
            "1 year 2 mons 3 days 04:05:06.5",
            { years: 1, months: 2, days: 3, hours: 4, minutes: 5, seconds: 6, milliseconds: 500 },
          ],
          [3600, "01:00:00", { hours: 1 }],
          ["1 week ago", "-7 days", { days: -7 }],
          ["-1 day +02:00:00", "-1 days +02:00:00", { days: -1, hours: 2 }],
        ];
        for (const [input, printed, fields] of cases) {
          const reads = await writeAndRead(PgSchedule, { duration: input });
          const fromPg = pgParsed(INTERVAL_OID, printed) as { toPostgres(): string; toISOString(): string };
          for (const role of ROLES) {
            const interval = reads[role].duration as typeof fromPg;
            const what = `${String(input)} read through the ${role} runner`;
            expect({ ...interval }, what).to.deep.equal(fields);
            // chai's deep equality walks inherited enumerable keys: postgres-interval's methods are among them.
            expect(enumerableKeys(interval), what).to.deep.equal(enumerableKeys(fromPg));
            expect(interval.toPostgres(), what).to.equal(fromPg.toPostgres());
            expect(interval.toISOString(), what).to.equal(fromPg.toISOString());
          }
        }
      });

      it("should return enum values, numeric members as numbers, and reject other values with a query error", async () => {
        const reads = await writeAndRead(PgSchedule, { role: Role.Admin, priority: Priority.High });
        expectBoth(reads, { role: "admin" as Role, priority: 2 });
        const invalid = await rejectionOf(dataSource.manager.save(PgSchedule, { role: "owner" as Role }));
        expect(invalid, "Postgres: invalid input value for enum").to.be.instanceOf(QueryFailedError);
        if (onPostgres) expectPostgresError(invalid, SQLSTATE.invalidTextRepresentation);
      });
    });

    describe("arrays and keys", () => {
      it("should return text, int, uuid and bigint arrays as JavaScript arrays", async () => {
        const reads = await writeAndRead(PgCollection, {
          aliases: ["x", null, "y, z"],
          scores: [3, 1, 2],
          friendIds: ["A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"],
          counters: ["1", 2 as unknown as string],
        });
        expectBoth(reads, {
          aliases: ["x", null, "y, z"],
          scores: [3, 1, 2],
          friendIds: ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
          counters: ["1", "2"],
        });
        const empty = await writeAndRead(PgCollection, { aliases: [], scores: [] });
        expectBoth(empty, { aliases: [], scores: [] });
        const badElement = await rejectionOf(dataSource.manager.save(PgCollection, { scores: [1.5] }));
        expectRejected(badElement, SQLSTATE.invalidTextRepresentation);
      });

      it("should return a bigint serial key as a string and join on uuid keys", async () => {
        const profile = await dataSource.manager.save(PgProfile, { email: "ledger@example.com" });
        const entry = await dataSource.manager.save(PgLedgerEntry, { amount: "10", profile });
        expect(entry.id).to.equal(String(Number(entry.id)));
        for (const role of ROLES) {
          const runner = dataSource.createQueryRunner(role);
          const read = await runner.manager.findOneOrFail(PgLedgerEntry, { where: { id: entry.id }, relations: { profile: true } });
          await runner.release();
          expect(read.id).to.be.a("string").and.equal(entry.id);
          expect(read.amount).to.equal("10.00");
          expect(read.profile?.id).to.equal(profile.id);
        }
      });

      it("should number identity keys", async () => {
        const first = await dataSource.manager.save(PgAuditEvent, { action: "login" });
        const second = await dataSource.manager.save(PgAuditEvent, { action: "logout" });
        expect(second.id).to.equal(first.id + 1);
        expect(await dataSource.manager.findOneBy(PgAuditEvent, { id: second.id })).to.deep.include({ id: second.id, action: "logout" });
      });
    });
  });
}
