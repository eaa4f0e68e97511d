import { expect } from "chai";
import fc from "fast-check";
import { QueryFailedError } from "typeorm";
import { createTestDataSource } from "../ormconfig.test";
import { internalsOf } from "../src/data-source/data-source-internals";
import { IntegerCodec, parseInteger, signedRange, unsignedRange } from "../src/fidelity/codecs/integer-codec";
import { TimestampCodec } from "../src/fidelity/codecs/timestamp-codec";
import { engineStatement } from "../src/fidelity/engine-statement";
import { readSessionChange } from "../src/sql/session-change";
import { rejectionOf } from "./support/capture-error";

/**
 * Every statement and every value passes through these shortcuts, so each must answer exactly as
 * the general code it skips: integers in range without parsing text, timestamps in the stored
 * format without patterns, statements that need no edit or change no session state without being
 * tokenized.
 */
describe("fast paths of the statement path", () => {
  const ref = { entity: "Measurement", column: "value", type: "integer" };

  /** What calling `fn` came to: its value, or the message it threw. */
  function outcome(fn: () => unknown): { value: unknown } | { error: string } {
    try {
      return { value: fn() };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  function sameOutcome(fast: ReturnType<typeof outcome>, general: ReturnType<typeof outcome>): boolean {
    if ("error" in fast || "error" in general) return "error" in fast && "error" in general && fast.error === general.error;
    // Object.is: -0 is not 0, and NaN is NaN.
    return Object.is(fast.value, general.value);
  }

  it("should read an integer as parsing its text does, in both dialects and every range", () => {
    const values = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(-0, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 32767, 32768, -32768, -32769, 255, 256, -1, NaN, Infinity, -Infinity),
      fc.bigInt(),
      fc.string(),
      fc.boolean(),
    );
    for (const dialect of ["postgres", "mysql"] as const) {
      for (const range of [signedRange(16), signedRange(32), signedRange(64), unsignedRange(8)]) {
        const codec = new IntegerCodec(ref, dialect, range);
        fc.assert(
          fc.property(values, (value) =>
            sameOutcome(
              outcome(() => codec.normalize(value)),
              outcome(() => Number(parseInteger(ref, dialect, range, value))),
            ),
          ),
        );
      }
    }
  });

  it("should load a stored timestamp, or any other text, as the general patterns do", () => {
    const codec = new TimestampCodec({ ...ref, type: "timestamptz" }, "postgres", 3, "typeorm", false);
    // The reading before the shortcut: a space becomes T, and text without an offset is UTC.
    const general = (stored: string) => {
      let text = stored;
      if (/^\d{4}-\d\d-\d\d \d\d:\d\d/.test(text)) text = text.replace(" ", "T");
      if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text)) text += "Z";
      return new Date(text).getTime();
    };
    const instants = fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true });
    const stored = instants.map((date) => codec.store(date.getTime()) as string);
    const character = fc.constantFrom(..."0129-: .TZ+a");
    const nearlyStored = fc.array(character, { minLength: 23, maxLength: 23 }).map((characters) => characters.join(""));
    fc.assert(fc.property(fc.oneof(stored, nearlyStored, fc.string()), (text) => Object.is(codec.load(text), general(text))));
    fc.assert(fc.property(instants, (date) => codec.load(codec.store(date.getTime())) === date.getTime()));
  });

  it("should still rewrite statements that spell what needs an edit in lower case", () => {
    expect(engineStatement("select * from item where id = ? for update", [1], "postgres").sql).to.equal("select * from item where id = ?");
    expect(engineStatement("select * from item lock in share mode", [], "mysql").sql).to.equal("select * from item");
    expect(engineStatement('update item set "updatedAt" = current_timestamp', [], "postgres").sql).to.equal(
      `update item set "updatedAt" = strftime('%Y-%m-%d %H:%M:%f', 'now')`,
    );
    expect(engineStatement("select $2, $1", ["a", "b"], "postgres")).to.deep.equal({ sql: "select ?, ?", parameters: ["b", "a"] });
    // Nothing to edit: the same text, untouched.
    const plain = 'INSERT INTO "task"("name", "amount") VALUES (?, 20)';
    expect(engineStatement(plain, ["x"], "postgres")).to.deep.equal({ sql: plain, parameters: ["x"] });
  });

  it("should still read session changes spelled in lower case, alone or among other statements", () => {
    expect(readSessionChange("pragma foreign_keys = off")).to.deep.equal({ kind: "pragma", target: "foreign_keys" });
    expect(readSessionChange("attach database ':memory:' as extra")).to.deep.equal({ kind: "attach", alias: "EXTRA" });
    expect(readSessionChange("select 1; pragma cache_size = 10")).to.equal("multiple");
    expect(readSessionChange('INSERT INTO "task"("name") VALUES (?)')).to.equal(undefined);
  });

  it("should run the engine's own transaction control on the runner's connection, failing as TypeORM's query() does", async () => {
    const dataSource = createTestDataSource();
    await dataSource.initialize();
    const runner = dataSource.createQueryRunner();
    try {
      const { engine } = internalsOf(dataSource)!;
      expect(engine.runControl, `${engine.name} runs its frames without TypeORM's query()`).to.be.a("function");
      await engine.runControl!(runner, internalsOf(dataSource)!.connection.dialect.begin);
      try {
        await engine.runControl!(runner, "SAVEPOINT fast_path");
        await engine.runControl!(runner, "ROLLBACK TO SAVEPOINT fast_path");
        // The savepoint was made on the runner's connection: once released, it is gone.
        await engine.runControl!(runner, "RELEASE SAVEPOINT fast_path");
        const failure = await rejectionOf(engine.runControl!(runner, "RELEASE SAVEPOINT fast_path"));
        expect(failure).to.be.instanceOf(QueryFailedError);
        expect((failure as QueryFailedError).query).to.equal("RELEASE SAVEPOINT fast_path");
      } finally {
        await engine.runControl!(runner, "ROLLBACK");
      }
    } finally {
      await runner.release();
      await dataSource.destroy();
    }
  });
});
