import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { DataSourceOptions } from "typeorm";
import ts from "typescript";
import { createTestDataSource, productionOptions, serverEngine, testServer } from "../ormconfig.test";
import { SharedReplicationDataSource } from "../src";
import { APPLICATION_TYPES } from "../src/data-source/application-type";
import {
  BASE_OPTIONS,
  DRIVER_OPTIONS,
  innerApplicationOptions,
  optionRule,
  type OptionClass,
  type OptionRule,
} from "../src/data-source/option-classification";
import { Author } from "./fixtures/blog-entities";
import { testCombination } from "./support/test-combination";

const WARNING_CODE = "TYPEORM_SHARED_REPLICATION_OPTION_NOT_HONOURED";
const TYPEORM_PACKAGES = { "0.3": "typeorm", "1.x": "typeorm-1" } as const;

/** The option keys each supported application `type` declares, read from one TypeORM line's `DataSourceOptions` declarations. */
function declaredOptionKeys(packageName: string): Map<string, string[]> {
  const file = path.resolve(__dirname, "../node_modules", packageName, "data-source/DataSourceOptions.d.ts");
  const program = ts.createProgram([file], { noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  const alias = checker.getExportsOfModule(moduleSymbol).find((symbol) => symbol.getName() === "DataSourceOptions");
  if (!alias) throw new Error(`${file} declares no DataSourceOptions`);
  const union = checker.getDeclaredTypeOfSymbol(alias);
  const keys = new Map<string, string[]>();
  for (const member of union.isUnion() ? union.types : [union]) {
    const typeProperty = checker.getTypeOfSymbol(member.getProperty("type")!);
    const types = (typeProperty.isUnion() ? typeProperty.types : [typeProperty]).filter((t) => t.isStringLiteral()).map((t) => t.value);
    const properties = checker.getPropertiesOfType(member).map((property) => property.getName());
    for (const type of types) if (type in APPLICATION_TYPES) keys.set(type, properties);
  }
  return keys;
}

function classOf(rule: OptionRule): OptionClass {
  return typeof rule === "string" ? rule : "driver";
}

const ENGINE_NAMES: Readonly<Record<string, string>> = {
  postgres: "postgres",
  mysql: "mysql",
  mariadb: "mariadb",
  sqlite: "sqlite3",
  "better-sqlite3": "better-sqlite3",
  sqljs: "sqljs",
};

const OUTCOMES = { emulated: "emulated", "no-effect": "no effect", "not-honoured": "not honoured, warns" } as const;

const code = (text: string) => `\`${text}\``;

/** The README's first table: per class, the options of that class (qualified by type where the class depends on it). */
function classRows(): string[][] {
  const allTypes = DRIVER_OPTIONS.flatMap((driver) => driver.types);
  const keys = [...new Set([...Object.keys(BASE_OPTIONS), ...DRIVER_OPTIONS.flatMap((driver) => Object.keys(driver.options))])];
  const classes: OptionClass[] = ["kept", "location", "schema", "library", "driver"];
  return classes.map((optionClass) => {
    const cells = keys.flatMap((key) => {
      const declaring = allTypes.filter((type) => optionRule(type, key) !== undefined);
      const ofClass = declaring.filter((type) => classOf(optionRule(type, key)!) === optionClass);
      if (ofClass.length === 0) return [];
      return [ofClass.length === declaring.length ? code(key) : `${code(key)} (${ofClass.join(", ")})`];
    });
    return [optionClass, cells.join(", ")];
  });
}

/** The README's second table: every driver option, where it is passed and what it does elsewhere. */
function driverRows(): string[][] {
  return DRIVER_OPTIONS.flatMap((driver) =>
    Object.entries(driver.options).flatMap(([key, rule]) => {
      if (typeof rule === "string") return [];
      const engines = [...driver.sameDriver, ...(rule.alsoOn ?? [])].map((type) => code(ENGINE_NAMES[type]!));
      const outcome = rule.harmless ? `${OUTCOMES[rule.elsewhere]} unless ${rule.harmless.when}` : OUTCOMES[rule.elsewhere];
      return [[code(key), driver.types.map(code).join(", "), engines.join(", ") || "none", `${outcome}: ${rule.note}`]];
    }),
  );
}

/** The tables of the README's "Your options" section, as cells, in order. */
function readmeTables(): string[][][] {
  const readme = readFileSync(path.resolve(__dirname, "../README.md"), "utf8");
  const start = readme.indexOf("### Your options");
  expect(start, "README section ### Your options").to.be.greaterThan(-1);
  const section = readme.slice(start, readme.indexOf("\n#", start + 1));
  const tables: string[][][] = [];
  let table: string[][] | undefined;
  for (const line of section.split("\n")) {
    if (!line.startsWith("|")) {
      table = undefined;
      continue;
    }
    if (!table) tables.push((table = []));
    if (/^\|\s*-/.test(line)) continue;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1);
    table.push(cells.map((cell) => cell.trim().replace(/\\\|/g, "|")));
  }
  return tables.map(([, ...rows]) => rows);
}

function markdown(rows: string[][]): string {
  return rows.map((row) => `| ${row.map((cell) => cell.replace(/\|/g, "\\|")).join(" | ")} |`).join("\n");
}

/** The not-honoured warnings emitted while `create` runs. */
async function warningsOf(create: () => unknown): Promise<Error[]> {
  const warnings: Error[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === WARNING_CODE) warnings.push(warning);
  };
  process.on("warning", listener);
  try {
    create();
    // process.emitWarning emits on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listener);
  }
  return warnings;
}

/** A DataSource on this run's in-memory engine, whatever TEST_SERVER says. */
function inMemory(options: Partial<DataSourceOptions>): SharedReplicationDataSource {
  return new SharedReplicationDataSource({ entities: productionOptions.entities, ...options } as DataSourceOptions, {
    engine: testCombination.engine,
  });
}

describe("option classification", () => {
  describe("TypeORM's declarations", function () {
    this.timeout(60_000);

    for (const [line, packageName] of Object.entries(TYPEORM_PACKAGES)) {
      it(`should classify every option TypeORM ${line} declares for the supported types`, () => {
        const declared = declaredOptionKeys(packageName);
        // TypeORM 1.x removed the sqlite3 driver.
        const expectedTypes = Object.keys(APPLICATION_TYPES).filter((type) => line === "0.3" || type !== "sqlite");
        expect([...declared.keys()], "supported types TypeORM declares options for").to.have.members(expectedTypes);
        const unclassified = [...declared].flatMap(([type, keys]) =>
          keys.filter((key) => !optionRule(type, key)).map((key) => `${type}.${key}`),
        );
        expect(unclassified, `unclassified options of TypeORM ${line}`).to.deep.equal([]);
      });
    }

    it("should classify only options TypeORM declares for the type, on one line or the other", () => {
      const declared = Object.values(TYPEORM_PACKAGES).map(declaredOptionKeys);
      const isDeclared = (type: string, key: string) => declared.some((line) => line.get(type)?.includes(key));
      const stale = [
        ...DRIVER_OPTIONS.flatMap((driver) =>
          driver.types.flatMap((type) =>
            Object.keys(driver.options)
              .filter((key) => !isDeclared(type, key))
              .map((key) => `${type}.${key}`),
          ),
        ),
        ...Object.keys(BASE_OPTIONS).filter((key) => !isDeclared("postgres", key)),
      ];
      expect(stale).to.deep.equal([]);
    });
  });

  describe("kept options", () => {
    let dataSource: SharedReplicationDataSource;

    beforeEach(async () => {
      // A database of its own on a server: a schema created earlier in the process, without the cache table, is not created again.
      dataSource = createTestDataSource(testServer ? { engine: serverEngine(testServer, "options") } : {}, {
        isolateWhereStatements: true,
        cache: true,
      });
      await dataSource.initialize();
      await dataSource.getRepository(Author).save([{ name: "alice" }, { name: "bob" }, { name: "carol" }]);
      dataSource.queryLog.clear();
    });

    afterEach(() => dataSource.destroy());

    /** Data statements that read the author table (the cache table's own statements excluded). */
    const authorReads = () =>
      dataSource.queryLog
        .entries()
        .filter((entry) => entry.kind === "data" && /author/.test(entry.sql) && !/query-result-cache/.test(entry.sql));

    it("should keep isolateWhereStatements: a condition in brackets, and the rows it selects", async () => {
      const names = await dataSource
        .getRepository(Author)
        .createQueryBuilder("author")
        .where("author.name <> :excluded", { excluded: "carol" })
        .andWhere("author.name = :bob OR author.name = :carol", { bob: "bob", carol: "carol" })
        .getMany();
      expect(names.map((author) => author.name)).to.deep.equal(["bob"]);
      // TypeORM brackets every condition after the first.
      expect(authorReads().some((entry) => / AND \([^()]+ OR [^()]+\)/.test(entry.sql))).to.equal(true);
    });

    it("should keep isolateWhereStatements in find options", async () => {
      const found = await dataSource.getRepository(Author).find({ where: [{ name: "alice" }, { name: "carol" }], order: { name: "ASC" } });
      expect(found.map((author) => author.name)).to.deep.equal(["alice", "carol"]);
      expect(authorReads().some((entry) => /WHERE \(\(.+\) OR \(.+\)\)/.test(entry.sql))).to.equal(true);
    });

    it("should create the query-result-cache table on initialize", async () => {
      const runner = dataSource.createQueryRunner();
      try {
        expect(await runner.hasTable("query-result-cache")).to.equal(true);
      } finally {
        await runner.release();
      }
    });

    it("should serve a cached find from the cache within its duration", async () => {
      const first = await dataSource.getRepository(Author).find({ cache: 60_000, order: { name: "ASC" } });
      const second = await dataSource.getRepository(Author).find({ cache: 60_000, order: { name: "ASC" } });
      expect(second).to.deep.equal(first);
      expect(authorReads()).to.have.length(1);
    });

    it("should serve a query builder's .cache(true) from the cache", async () => {
      const query = () =>
        dataSource.getRepository(Author).createQueryBuilder("author").where("author.name = :name", { name: "bob" }).cache(true);
      expect((await query().getOne())?.name).to.equal("bob");
      expect((await query().getOne())?.name).to.equal("bob");
      expect(authorReads()).to.have.length(1);
    });
  });

  describe("location options", () => {
    it("should never pass where the database is, and pass every kept option", () => {
      const dataSource = createTestDataSource(
        {},
        {
          host: "db.example.com",
          password: "hunter2",
          url: "postgres://app:hunter2@db.example.com/app",
          isolateWhereStatements: true,
          cache: true,
          typename: "__typename",
        },
      );
      const options = dataSource.options as unknown as Record<string, unknown>;
      expect(options.host).not.to.equal("db.example.com");
      expect(options.password).not.to.equal("hunter2");
      expect(options).not.to.have.property("url");
      expect(options).not.to.have.property("replication");
      expect(options).to.include({ isolateWhereStatements: true, cache: true, typename: "__typename" });
    });
  });

  describe("driver options", () => {
    it("should warn once for each option production honours and the engine does not", async () => {
      const warnings = await warningsOf(() => inMemory({ type: "postgres", schema: "app" }));
      expect(warnings).to.have.length(1);
      expect(warnings[0]!.message).to.include('postgres option "schema"').and.include(`on the ${testCombination.engine} engine`);
      expect(warnings[0]!.message).to.include("Postgres server engine");
    });

    it("should warn for MySQL options the engine does not reproduce, and not for values it does", async () => {
      const warned = await warningsOf(() => inMemory({ type: "mysql", dateStrings: true, timezone: "+02:00", charset: "latin1" }));
      expect(warned.map((warning) => /option "(\w+)"/.exec(warning.message)![1])).to.have.members(["dateStrings", "timezone", "charset"]);
      const silent = await warningsOf(() => inMemory({ type: "mysql", dateStrings: false, timezone: "Z", charset: "utf8mb4_unicode_ci" }));
      expect(silent).to.deep.equal([]);
    });

    it("should not warn for kept, emulated or ineffective options", async () => {
      const options = {
        type: "postgres",
        isolateWhereStatements: true,
        cache: true,
        parseInt8: true,
        useUTC: true,
        applicationName: "app",
      } as const;
      expect(await warningsOf(() => inMemory(options))).to.deep.equal([]);
    });

    it("should pass a driver option to an engine that runs the production driver, and warn on any other", async () => {
      const prepared: unknown[] = [];
      let dataSource: SharedReplicationDataSource | undefined;
      const warnings = await warningsOf(() => {
        dataSource = inMemory({ type: "better-sqlite3", database: "app.db", prepareDatabase: (db: unknown) => void prepared.push(db) });
      });
      await dataSource!.initialize();
      try {
        if (testCombination.engine === "better-sqlite3") {
          expect(warnings).to.deep.equal([]);
          expect(prepared).to.have.length(1);
        } else {
          expect(warnings.map((warning) => warning.message)).to.satisfy(
            (messages: string[]) =>
              messages.length === 1 &&
              messages[0]!.includes('better-sqlite3 option "prepareDatabase"') &&
              messages[0]!.includes('`"better-sqlite3"` engine'),
          );
          expect(prepared).to.deep.equal([]);
        }
      } finally {
        await dataSource!.destroy();
      }
    });

    it("should pass only the value-changing keys of extra to an engine that runs the production driver, never where it connects", () => {
      const extra = { host: "prod.db.internal", password: "secret", decimalNumbers: true, typeCast: false };
      expect(innerApplicationOptions({ type: "mariadb", extra } as DataSourceOptions, "mariadb").options.extra).to.deep.equal({
        decimalNumbers: true,
        typeCast: false,
      });
      expect(
        innerApplicationOptions({ type: "postgres", extra: { host: "prod", types: {} } } as DataSourceOptions, "postgres").options.extra,
      ).to.deep.equal({
        types: {},
      });
      expect(innerApplicationOptions({ type: "mysql", extra } as DataSourceOptions, "better-sqlite3").options).not.to.have.property(
        "extra",
      );
    });

    it("should warn for value-changing keys of extra on SQLite, except those the fidelity layer reproduces", async () => {
      const warned = await warningsOf(() =>
        inMemory({ type: "mysql", extra: { decimalNumbers: true, supportBigNumbers: true, typeCast: false } } as never),
      );
      expect(warned.map((warning) => /option "([\w.]+)"/.exec(warning.message)![1])).to.deep.equal(["extra.typeCast"]);
    });

    it("should keep schema for a SQLite application, which TypeORM's entity metadata reads whatever the driver", async () => {
      const sqliteType = testCombination.engine === "sqljs" ? "sqljs" : testCombination.engine === "sqlite3" ? "sqlite" : "better-sqlite3";
      const dataSource = inMemory({ type: sqliteType, schema: "main" } as never);
      expect(dataSource.options).to.have.property("schema", "main");
    });

    it("should not pass options that only another type's driver declares", () => {
      const dataSource = inMemory({ type: "postgres", busyTimeout: 10, location: "app.sqlite", flags: 1 } as never);
      expect(dataSource.options).not.to.have.any.keys("busyTimeout", "location", "flags");
    });
  });

  describe("README", () => {
    it("should list the option classes as the classification has them", () => {
      const [classes] = readmeTables();
      const expected = classRows();
      expect(
        classes?.map((row) => row.slice(0, 2)),
        `expected rows:\n${markdown(expected)}`,
      ).to.deep.equal(expected);
    });

    it("should describe every driver option as the classification does", () => {
      const [, drivers] = readmeTables();
      const expected = driverRows();
      expect(drivers, `expected rows:\n${markdown(expected)}`).to.deep.equal(expected);
    });
  });
});
