import { expect } from "chai";
import { tokenize, type SqlDialect, type SqlTokenKind } from "../src/sql/tokenizer";

/** A case: the SQL, and its tokens as `kind text`, whitespace left out. */
type Case = readonly [title: string, sql: string, tokens: readonly string[]];

const CASES: Readonly<Record<SqlDialect, readonly Case[]>> = {
  postgres: [
    [
      "a line comment to the end of the line",
      "SELECT 1 -- DELETE\nFROM t",
      ["word SELECT", "number 1", "comment -- DELETE", "word FROM", "word t"],
    ],
    ["nested block comments", "/* a /* b */ DELETE */ SELECT", ["comment /* a /* b */ DELETE */", "word SELECT"]],
    ["an unterminated block comment to the end", "SELECT /* a", ["word SELECT", "comment /* a"]],
    ["a quoted identifier with a doubled quote", `SELECT "a""b"`, ["word SELECT", `quoted-identifier "a""b"`]],
    [
      "a quoted identifier holding :: and a cast",
      `SELECT "a::b", a::b`,
      ["word SELECT", `quoted-identifier "a::b"`, "punctuation ,", "word a", "operator ::", "word b"],
    ],
    [
      "a standard string: '' is a quote, a backslash a character",
      String.raw`SELECT 'it''s', 'C:\'`,
      ["word SELECT", "string 'it''s'", "punctuation ,", String.raw`string 'C:\'`],
    ],
    [
      "E'…' with backslash escapes",
      String.raw`SELECT E'it\'s', e'\\'`,
      ["word SELECT", String.raw`string E'it\'s'`, "punctuation ,", String.raw`string e'\\'`],
    ],
    [
      "U&'…' strings and U&\"…\" identifiers",
      String.raw`SELECT U&'d\0061t', U&"d\0061ta"`,
      ["word SELECT", String.raw`string U&'d\0061t'`, "punctuation ,", String.raw`quoted-identifier U&"d\0061ta"`],
    ],
    [
      "bit, hex and national strings",
      "SELECT B'101', X'1F', N'x'",
      ["word SELECT", "string B'101'", "punctuation ,", "string X'1F'", "punctuation ,", "string N'x'"],
    ],
    ["dollar quoting", "SELECT $$it's; DROP$$", ["word SELECT", "string $$it's; DROP$$"]],
    ["tagged dollar quoting around $$", "SELECT $fn$ $$ x $$ $fn$;", ["word SELECT", "string $fn$ $$ x $$ $fn$", "separator ;"]],
    ["an unterminated dollar quote to the end", "SELECT $$ a; b", ["word SELECT", "string $$ a; b"]],
    [
      "numbered placeholders, and $ inside identifiers",
      "SELECT $1, $12, a$1",
      ["word SELECT", "placeholder $1", "punctuation ,", "placeholder $12", "punctuation ,", "word a$1"],
    ],
    ["a lone $", "SELECT $", ["word SELECT", "punctuation $"]],
    [
      "operator runs with trailing + or - split off",
      "a<-1 AND b @> c",
      ["word a", "operator <", "operator -", "number 1", "word AND", "word b", "operator @>", "word c"],
    ],
    [
      "operators containing ?, and # as an operator",
      "a ?| b # c ->> 'k'",
      ["word a", "operator ?|", "word b", "operator #", "word c", "operator ->>", "string 'k'"],
    ],
    ["an operator run cut before a comment", "a*--c\n1", ["word a", "operator *", "comment --c", "number 1"]],
    [
      "casts, := and =>",
      "x::int, f(a => 1), y := 2",
      [
        "word x",
        "operator ::",
        "word int",
        "punctuation ,",
        "word f",
        "punctuation (",
        "word a",
        "operator =>",
        "number 1",
        "punctuation )",
        "punctuation ,",
        "word y",
        "operator :=",
        "number 2",
      ],
    ],
    ["numbers", "1.5e-3 .5 0x1F 1_000 7.", ["number 1.5e-3", "number .5", "number 0x1F", "number 1_000", "number 7."]],
    ["array subscripts", "a[1:2]", ["word a", "punctuation [", "number 1", "punctuation :", "number 2", "punctuation ]"]],
    ["separators", "SELECT 1; SELECT 2;", ["word SELECT", "number 1", "separator ;", "word SELECT", "number 2", "separator ;"]],
    ["an unterminated string to the end", "SELECT 'a; DELETE", ["word SELECT", "string 'a; DELETE"]],
    ["non-ASCII identifiers", "SELECT café FROM naïve", ["word SELECT", "word café", "word FROM", "word naïve"]],
  ],
  mysql: [
    ["-- with a space is a comment", "SELECT 1 -- DELETE\n", ["word SELECT", "number 1", "comment -- DELETE"]],
    ["-- at the end is a comment", "SELECT 1 --", ["word SELECT", "number 1", "comment --"]],
    ["-- without a space is two minus signs", "SELECT 1--1", ["word SELECT", "number 1", "operator -", "operator -", "number 1"]],
    ["# comments", "SELECT 1 # ; DELETE\nFROM t", ["word SELECT", "number 1", "comment # ; DELETE", "word FROM", "word t"]],
    ["block comments do not nest", "/* a /* b */ c */", ["comment /* a /* b */", "word c", "operator *", "operator /"]],
    [
      "executable comments are read as the SQL they hold",
      "SELECT 1 /*!50000 FOR UPDATE */",
      ["word SELECT", "number 1", "comment /*!50000", "word FOR", "word UPDATE", "comment */"],
    ],
    ["MariaDB's executable comments", "/*M!100100 SELECT */ 1", ["comment /*M!100100", "word SELECT", "comment */", "number 1"]],
    ["optimizer hints are comments", "SELECT /*+ BKA(t) */ 1", ["word SELECT", "comment /*+ BKA(t) */", "number 1"]],
    ["backtick identifiers with doubling", "SELECT `a``b`", ["word SELECT", "quoted-identifier `a``b`"]],
    ["backslashes are not escapes in backtick identifiers", "SELECT `a\\`", ["word SELECT", "quoted-identifier `a\\`"]],
    [
      "'…' with backslash escapes and doubling",
      String.raw`SELECT 'it\'s', 'a''b', '\\'`,
      ["word SELECT", String.raw`string 'it\'s'`, "punctuation ,", "string 'a''b'", "punctuation ,", String.raw`string '\\'`],
    ],
    ['"…" is a string, with backslash escapes', String.raw`SELECT "q\"z"`, ["word SELECT", String.raw`string "q\"z"`]],
    [
      "prefixed literals",
      "SELECT X'41', B'01', N'x', _utf8mb4'y', 0x41",
      [
        "word SELECT",
        "string X'41'",
        "punctuation ,",
        "string B'01'",
        "punctuation ,",
        "string N'x'",
        "punctuation ,",
        "word _utf8mb4",
        "string 'y'",
        "punctuation ,",
        "number 0x41",
      ],
    ],
    [
      "variables",
      "SELECT @v, @@session.sql_mode, @'q v', @`w`",
      [
        "word SELECT",
        "variable @v",
        "punctuation ,",
        "variable @@session.sql_mode",
        "punctuation ,",
        "variable @'q v'",
        "punctuation ,",
        "variable @`w`",
      ],
    ],
    [
      "? placeholders",
      "SELECT * FROM t WHERE a = ? AND b IN (?)",
      [
        "word SELECT",
        "operator *",
        "word FROM",
        "word t",
        "word WHERE",
        "word a",
        "operator =",
        "placeholder ?",
        "word AND",
        "word b",
        "word IN",
        "punctuation (",
        "placeholder ?",
        "punctuation )",
      ],
    ],
    [
      "operators",
      "a <=> b ->> '$.k' && c := 1",
      ["word a", "operator <=>", "word b", "operator ->>", "string '$.k'", "operator &&", "word c", "operator :=", "number 1"],
    ],
    ["identifiers starting with digits or $", "SELECT 1st, $x", ["word SELECT", "word 1st", "punctuation ,", "word $x"]],
    ["separators", "SELECT 'a;b'; SELECT 2", ["word SELECT", "string 'a;b'", "separator ;", "word SELECT", "number 2"]],
  ],
  sqlite: [
    [
      "quoted identifiers in three spellings",
      'SELECT "a""b", `c`, [d e]',
      ["word SELECT", `quoted-identifier "a""b"`, "punctuation ,", "quoted-identifier `c`", "punctuation ,", "quoted-identifier [d e]"],
    ],
    [
      "strings: '' is a quote, a backslash a character",
      String.raw`SELECT 'it''s', 'C:\'`,
      ["word SELECT", "string 'it''s'", "punctuation ,", String.raw`string 'C:\'`],
    ],
    ["blobs", "SELECT x'41'", ["word SELECT", "string x'41'"]],
    [
      "placeholders in every spelling",
      "SELECT ?, ?3, :n, @m, $o",
      [
        "word SELECT",
        "placeholder ?",
        "punctuation ,",
        "placeholder ?3",
        "punctuation ,",
        "placeholder :n",
        "punctuation ,",
        "placeholder @m",
        "punctuation ,",
        "placeholder $o",
      ],
    ],
    ["comments", "SELECT 1 -- DELETE\n/* x */", ["word SELECT", "number 1", "comment -- DELETE", "comment /* x */"]],
    ["block comments do not nest", "/* a /* b */ c", ["comment /* a /* b */", "word c"]],
    [
      "operators",
      "a || b == c ->> '$.k' <> d",
      ["word a", "operator ||", "word b", "operator ==", "word c", "operator ->>", "string '$.k'", "operator <>", "word d"],
    ],
    ["numbers", "1.5e3 .5 0x1F", ["number 1.5e3", "number .5", "number 0x1F"]],
    [
      "PRAGMA spellings",
      `PRAGMA "user_version"(13);`,
      ["word PRAGMA", `quoted-identifier "user_version"`, "punctuation (", "number 13", "punctuation )", "separator ;"],
    ],
  ],
};

const show = (sql: string, dialect: SqlDialect) =>
  tokenize(sql, dialect)
    .filter((token) => token.kind !== "whitespace")
    .map((token) => `${token.kind} ${sql.slice(token.start, token.end)}`);

describe("SQL tokenizer", () => {
  for (const dialect of ["postgres", "mysql", "sqlite"] as const) {
    describe(dialect, () => {
      for (const [title, sql, tokens] of CASES[dialect]) {
        it(`should read ${title}`, () => {
          expect(show(sql, dialect)).to.deep.equal(tokens);
        });
      }

      it("should give back every input exactly, token by token", () => {
        for (const [, sql] of CASES[dialect]) {
          const tokens = tokenize(sql, dialect);
          expect(tokens.map((token) => sql.slice(token.start, token.end)).join(""), sql).to.equal(sql);
          for (let i = 1; i < tokens.length; i++) expect(tokens[i]!.start, sql).to.equal(tokens[i - 1]!.end);
        }
      });
    });
  }

  it("should read the same text differently per dialect", () => {
    const kinds = (sql: string, dialect: SqlDialect): SqlTokenKind[] => tokenize(sql, dialect).map((token) => token.kind);
    expect(kinds(`"a"`, "postgres")).to.deep.equal(["quoted-identifier"]);
    expect(kinds(`"a"`, "mysql")).to.deep.equal(["string"]);
    expect(kinds("# x", "mysql")).to.deep.equal(["comment"]);
    expect(kinds("# x", "postgres")).to.deep.equal(["operator", "whitespace", "word"]);
    expect(kinds("$1", "postgres")).to.deep.equal(["placeholder"]);
    expect(kinds("$1", "sqlite")).to.deep.equal(["placeholder"]);
    expect(kinds("$a", "mysql")).to.deep.equal(["word"]);
    expect(kinds("[a]", "sqlite")).to.deep.equal(["quoted-identifier"]);
    expect(kinds("[a]", "postgres")).to.deep.equal(["punctuation", "word", "punctuation"]);
  });
});
