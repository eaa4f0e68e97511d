import type { ApplicationFamily } from "../data-source/application-type";

/** The SQL dialects the tokenizer reads: one per application family. */
export type SqlDialect = ApplicationFamily;

/** What a token is. Concatenating every token's text gives back the input. */
export type SqlTokenKind =
  | "whitespace"
  | "comment"
  | "word"
  | "quoted-identifier"
  | "string"
  | "number"
  | "placeholder"
  | "variable"
  | "operator"
  | "punctuation"
  | "separator";

/** One token: its kind and where it lies in the SQL text (`start` inclusive, `end` exclusive). */
export interface SqlToken {
  readonly kind: SqlTokenKind;
  readonly start: number;
  readonly end: number;
}

/** What a `$`, `?`, `:` or `@` starts in a dialect. */
type SigilRule = "numbered-placeholder" | "named-placeholder" | "anonymous-placeholder" | "variable" | "word" | "operator";

/** How one dialect spells its tokens: the table {@link SqlScanner} reads. */
interface DialectRules {
  /** What each quote character opens. */
  readonly quotes: Readonly<Record<string, "string" | "identifier">>;
  /** Backslash escapes in every string literal (MySQL without NO_BACKSLASH_ESCAPES). */
  readonly backslashStrings: boolean;
  /** One-letter prefixes that make the next `'…'` part of the literal, and whether its backslashes escape. */
  readonly stringPrefixes: Readonly<Record<string, "standard" | "backslash">>;
  /** `U&'…'` and `U&"…"` (Postgres). */
  readonly unicodePrefix: boolean;
  /** `$$…$$` and `$tag$…$tag$` (Postgres). */
  readonly dollarQuotes: boolean;
  /** Block comments nest (Postgres). */
  readonly nestedComments: boolean;
  /** `#` starts a line comment (MySQL). */
  readonly hashComments: boolean;
  /** `--` starts a comment only before whitespace, a control character or the end (MySQL). */
  readonly dashCommentNeedsSpace: boolean;
  /** `/*! … *\/` and `/*M! … *\/`: MySQL and MariaDB run what they contain. */
  readonly executableComments: boolean;
  readonly dollar: SigilRule;
  readonly question: SigilRule;
  readonly colon: SigilRule;
  readonly at: SigilRule;
  /** Unquoted identifiers may start with a digit (MySQL: `1st_column`). */
  readonly wordsStartWithDigit: boolean;
  /** Postgres: any run of these characters is one operator (with its rules for `--`, `/*` and trailing `+`/`-`). */
  readonly operatorRun: string;
  /** Elsewhere: the operators of more than one character, longest first, and the single-character ones. */
  readonly operators: readonly string[];
  readonly singleOperators: string;
}

const RULES: Readonly<Record<SqlDialect, DialectRules>> = {
  postgres: {
    quotes: { "'": "string", '"': "identifier" },
    backslashStrings: false,
    stringPrefixes: { E: "backslash", B: "standard", X: "standard", N: "standard" },
    unicodePrefix: true,
    dollarQuotes: true,
    nestedComments: true,
    hashComments: false,
    dashCommentNeedsSpace: false,
    executableComments: false,
    dollar: "numbered-placeholder",
    question: "operator",
    colon: "operator",
    at: "operator",
    wordsStartWithDigit: false,
    operatorRun: "+-*/<>=~!@#%^&|`?",
    operators: ["::", ":="],
    singleOperators: "",
  },
  mysql: {
    quotes: { "'": "string", '"': "string", "`": "identifier" },
    backslashStrings: true,
    stringPrefixes: { N: "backslash", X: "standard", B: "standard" },
    unicodePrefix: false,
    dollarQuotes: false,
    nestedComments: false,
    hashComments: true,
    dashCommentNeedsSpace: true,
    executableComments: true,
    dollar: "word",
    question: "anonymous-placeholder",
    colon: "operator",
    at: "variable",
    wordsStartWithDigit: true,
    operatorRun: "",
    operators: ["<=>", "->>", "->", "<=", ">=", "<>", "!=", "<<", ">>", "&&", "||", ":="],
    singleOperators: "+-*/%=<>!&|^~",
  },
  sqlite: {
    quotes: { "'": "string", '"': "identifier", "`": "identifier", "[": "identifier" },
    backslashStrings: false,
    stringPrefixes: { X: "standard" },
    unicodePrefix: false,
    dollarQuotes: false,
    nestedComments: false,
    hashComments: false,
    dashCommentNeedsSpace: false,
    executableComments: false,
    dollar: "named-placeholder",
    question: "anonymous-placeholder",
    colon: "named-placeholder",
    at: "named-placeholder",
    wordsStartWithDigit: false,
    operatorRun: "",
    operators: ["->>", "->", "||", "<<", ">>", "<=", ">=", "==", "!=", "<>"],
    singleOperators: "+-*/%=<>&|~",
  },
};

// What the first character of a token starts, by character code (ASCII; anything above is a word).
const WHITESPACE = 1;
const WORD = 2;
const DIGIT = 3;
const DOT = 4;
const QUOTE = 5;
const DASH = 6;
const SLASH = 7;
const HASH = 8;
const DOLLAR = 9;
const QUESTION = 10;
const COLON = 11;
const AT = 12;
const STAR = 13;
const OPERATOR = 14;
const SEPARATOR = 15;
const PUNCTUATION = 16;

function startTable(rules: DialectRules): Uint8Array {
  const table = new Uint8Array(128).fill(PUNCTUATION);
  const set = (chars: string, start: number) => {
    for (const char of chars) table[char.charCodeAt(0)] = start;
  };
  for (const op of rules.operators) set(op[0]!, OPERATOR);
  set(rules.singleOperators, OPERATOR);
  set(rules.operatorRun, OPERATOR);
  set(" \t\n\r\f\v", WHITESPACE);
  set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_", WORD);
  set("0123456789", DIGIT);
  set(".", DOT);
  set(Object.keys(rules.quotes).join(""), QUOTE);
  set("-", DASH);
  set("/", SLASH);
  set("*", STAR);
  if (rules.hashComments) set("#", HASH);
  set("$", DOLLAR);
  set("?", QUESTION);
  set(":", COLON);
  set("@", AT);
  set(";", SEPARATOR);
  return table;
}

const START_TABLES: Readonly<Record<SqlDialect, Uint8Array>> = {
  postgres: startTable(RULES.postgres),
  mysql: startTable(RULES.mysql),
  sqlite: startTable(RULES.sqlite),
};

/** Letters, digits, `_`, `$` and anything beyond ASCII: what unquoted identifiers are made of in every dialect. */
function isWordChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 36 || code >= 128
  );
}

function isIdentifierStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code >= 128;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isHexDigit(code: number): boolean {
  return isDigit(code) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
}

/**
 * Reads SQL text one token at a time, by the rules of one dialect: whitespace, `--` comments
 * (MySQL: `-- ` with a space, and `#`), block comments (nested in Postgres; MySQL's executable
 * `/*! … *\/` comments are read as the SQL they contain), quoted identifiers, string literals with
 * the dialect's escapes (doubled quotes; Postgres `E'…'`, `U&'…'` and dollar quoting; MySQL
 * backslashes), numbers, words, placeholders (`$1`; `?`; SQLite's `?NNN`, `:name`, `@name`,
 * `$name`), MySQL variables (`@name`, `@@name`), operators, punctuation and the `;` separator.
 * Unterminated literals and comments run to the end of the text, as the server's lexer reads them
 * before it reports the error. Used for every statement, so it works on character codes and
 * allocates nothing per token.
 */
export class SqlScanner {
  /** The current token, after {@link next} returned `true`. */
  kind: SqlTokenKind = "whitespace";
  start = 0;
  end = 0;
  private readonly rules: DialectRules;
  private readonly table: Uint8Array;
  /** Inside MySQL's `/*! … *\/`: its `*\/` ends a comment that was never a comment. */
  private executable = false;

  constructor(
    readonly sql: string,
    dialect: SqlDialect,
  ) {
    this.rules = RULES[dialect];
    this.table = START_TABLES[dialect];
  }

  /** Moves to the next token; `false` at the end of the text. */
  next(): boolean {
    const sql = this.sql;
    const at = this.end;
    if (at >= sql.length) return false;
    this.start = at;
    const code = sql.charCodeAt(at);
    switch (code < 128 ? this.table[code] : WORD) {
      case WHITESPACE:
        return this.token("whitespace", this.whitespaceEnd(at));
      case WORD:
        return this.word(at);
      case DIGIT:
        return this.number(at);
      case DOT:
        return isDigit(sql.charCodeAt(at + 1)) ? this.number(at) : this.token("punctuation", at + 1);
      case QUOTE: {
        const quote = sql[at]!;
        return this.quoted(at, at + 1, quote, this.rules.backslashStrings && this.rules.quotes[quote] === "string");
      }
      case DASH:
        return this.isDashComment(at) ? this.token("comment", this.lineEnd(at)) : this.operator(at);
      case SLASH:
        return sql.charCodeAt(at + 1) === 42 /* * */ ? this.blockComment(at) : this.operator(at);
      case HASH:
        return this.token("comment", this.lineEnd(at));
      case STAR:
        if (this.executable && sql.charCodeAt(at + 1) === 47 /* / */) {
          this.executable = false;
          return this.token("comment", at + 2);
        }
        return this.operator(at);
      case DOLLAR:
        return this.sigil(at, this.rules.dollar);
      case QUESTION:
        return this.sigil(at, this.rules.question);
      case COLON:
        return this.sigil(at, this.rules.colon);
      case AT:
        return this.sigil(at, this.rules.at);
      case OPERATOR:
        return this.operator(at);
      case SEPARATOR:
        return this.token("separator", at + 1);
      default:
        return this.token("punctuation", at + 1);
    }
  }

  /** The current token's text. */
  text(): string {
    return this.sql.slice(this.start, this.end);
  }

  private token(kind: SqlTokenKind, end: number): true {
    this.kind = kind;
    this.end = end;
    return true;
  }

  private whitespaceEnd(at: number): number {
    const sql = this.sql;
    let i = at + 1;
    while (i < sql.length) {
      const code = sql.charCodeAt(i);
      if (code !== 32 && (code < 9 || code > 13)) break;
      i++;
    }
    return i;
  }

  private lineEnd(at: number): number {
    const newline = this.sql.indexOf("\n", at);
    return newline < 0 ? this.sql.length : newline;
  }

  private wordEnd(at: number): number {
    const sql = this.sql;
    let i = at;
    while (i < sql.length && isWordChar(sql.charCodeAt(i))) i++;
    return i;
  }

  private word(at: number): true {
    const sql = this.sql;
    const end = this.wordEnd(at + 1);
    const next = sql.charCodeAt(end);
    if (end === at + 1) {
      const letter = sql[at]!.toUpperCase();
      // E'…', X'…', B'…', N'…': the prefix belongs to the literal.
      const prefixed = next === 39 /* ' */ ? this.rules.stringPrefixes[letter] : undefined;
      if (prefixed) return this.quoted(at, end + 1, "'", prefixed === "backslash");
      if (letter === "U" && this.rules.unicodePrefix && next === 38 /* & */) {
        const quote = sql[end + 1];
        if (quote === "'" || quote === '"') return this.quoted(at, end + 2, quote, false);
      }
    }
    return this.token("word", end);
  }

  private number(at: number): true {
    const sql = this.sql;
    let i = at;
    const second = sql.charCodeAt(at + 1) | 0x20;
    if (sql.charCodeAt(at) === 48 /* 0 */ && (second === 120 /* x */ || second === 98 /* b */ || second === 111) /* o */) {
      i = at + 2;
      while (i < sql.length && (isHexDigit(sql.charCodeAt(i)) || sql.charCodeAt(i) === 95)) i++;
    } else {
      while (i < sql.length && (isDigit(sql.charCodeAt(i)) || sql.charCodeAt(i) === 95)) i++;
      if (sql.charCodeAt(i) === 46 /* . */) {
        i++;
        while (i < sql.length && isDigit(sql.charCodeAt(i))) i++;
      }
      const e = sql.charCodeAt(i) | 0x20;
      if (e === 101 /* e */) {
        const sign = sql.charCodeAt(i + 1);
        const digitAt = sign === 43 || sign === 45 ? i + 2 : i + 1;
        if (isDigit(sql.charCodeAt(digitAt))) {
          i = digitAt;
          while (i < sql.length && isDigit(sql.charCodeAt(i))) i++;
        }
      }
    }
    // MySQL: an unquoted identifier may start with digits (`1st`); a number never runs into letters.
    if (this.rules.wordsStartWithDigit && i < sql.length && isWordChar(sql.charCodeAt(i))) return this.token("word", this.wordEnd(i));
    return this.token("number", i);
  }

  /** A quoted string or identifier whose body starts at `from` and ends at the matching `quote`. */
  private quoted(at: number, from: number, quote: string, backslash: boolean): true {
    const sql = this.sql;
    const close = quote === "[" ? "]" : quote;
    const kind: SqlTokenKind = quote === "'" ? "string" : this.rules.quotes[quote] === "string" ? "string" : "quoted-identifier";
    const unicodeIdentifier = from - at === 3 && quote === '"';
    let i = from;
    while (i < sql.length) {
      const char = sql[i];
      if (backslash && char === "\\") {
        i += 2;
        continue;
      }
      if (char === close) {
        // A doubled quote stands for itself; ] is never doubled in SQLite's [identifiers].
        if (close !== "]" && sql[i + 1] === close) {
          i += 2;
          continue;
        }
        return this.token(unicodeIdentifier ? "quoted-identifier" : kind, i + 1);
      }
      i++;
    }
    return this.token(unicodeIdentifier ? "quoted-identifier" : kind, sql.length);
  }

  private isDashComment(at: number): boolean {
    const sql = this.sql;
    if (sql.charCodeAt(at + 1) !== 45 /* - */) return false;
    if (!this.rules.dashCommentNeedsSpace) return true;
    // MySQL: "--" starts a comment only before whitespace or a control character (or the end).
    return at + 2 >= sql.length || sql.charCodeAt(at + 2) <= 32;
  }

  private blockComment(at: number): true {
    const sql = this.sql;
    if (this.rules.executableComments) {
      const bang = sql[at + 2] === "!" ? at + 3 : sql[at + 2] === "M" && sql[at + 3] === "!" ? at + 4 : -1;
      if (bang > 0) {
        // MySQL runs the contents of /*!50700 … */ (MariaDB also /*M!100500 … */): only the markers are comments.
        let i = bang;
        while (i < sql.length && isDigit(sql.charCodeAt(i))) i++;
        this.executable = true;
        return this.token("comment", i);
      }
    }
    let depth = 1;
    let i = at + 2;
    while (i < sql.length) {
      const code = sql.charCodeAt(i);
      if (code === 42 /* * */ && sql.charCodeAt(i + 1) === 47 /* / */) {
        i += 2;
        if (--depth === 0 || !this.rules.nestedComments) return this.token("comment", i);
        continue;
      }
      if (this.rules.nestedComments && code === 47 /* / */ && sql.charCodeAt(i + 1) === 42 /* * */) {
        depth++;
        i += 2;
        continue;
      }
      i++;
    }
    return this.token("comment", sql.length);
  }

  private sigil(at: number, rule: SigilRule): true {
    const sql = this.sql;
    const next = sql.charCodeAt(at + 1);
    switch (rule) {
      case "numbered-placeholder": {
        if (isDigit(next)) {
          let i = at + 1;
          while (i < sql.length && isDigit(sql.charCodeAt(i))) i++;
          return this.token("placeholder", i);
        }
        return this.rules.dollarQuotes ? this.dollarQuoted(at) : this.token("punctuation", at + 1);
      }
      case "anonymous-placeholder": {
        // SQLite's ?NNN numbers the placeholder; MySQL's ? is anonymous either way.
        let i = at + 1;
        while (i < sql.length && isDigit(sql.charCodeAt(i))) i++;
        return this.token("placeholder", i);
      }
      case "named-placeholder": {
        const end = this.wordEnd(at + 1);
        if (end > at + 1) return this.token("placeholder", end);
        return this.operator(at);
      }
      case "variable":
        return this.variable(at);
      case "word":
        return this.token("word", this.wordEnd(at + 1));
      case "operator":
        return this.operator(at);
    }
  }

  /** Postgres: `$tag$…$tag$` or `$$…$$`, or a lone `$`. */
  private dollarQuoted(at: number): true {
    const sql = this.sql;
    let i = at + 1;
    if (isIdentifierStart(sql.charCodeAt(i))) {
      i++;
      while (i < sql.length && isWordChar(sql.charCodeAt(i)) && sql.charCodeAt(i) !== 36) i++;
    }
    if (sql.charCodeAt(i) !== 36 /* $ */) return this.token("punctuation", at + 1);
    const tag = sql.slice(at, i + 1);
    const close = sql.indexOf(tag, i + 1);
    return this.token("string", close < 0 ? sql.length : close + tag.length);
  }

  /** MySQL: `@name`, `@'name'`, `` @`name` ``, `@@name`, `@@session.name`. */
  private variable(at: number): true {
    const sql = this.sql;
    let i = at + 1;
    if (sql[i] === "@") i++;
    const quote = sql[i];
    if (i === at + 1 && (quote === "'" || quote === '"' || quote === "`")) {
      this.quoted(at, i + 1, quote, quote !== "`");
      return this.token("variable", this.end);
    }
    let end = i;
    while (end < sql.length && (isWordChar(sql.charCodeAt(end)) || sql.charCodeAt(end) === 46) /* . */) end++;
    if (end === i) return this.token("punctuation", at + 1);
    return this.token("variable", end);
  }

  private operator(at: number): true {
    const sql = this.sql;
    const rules = this.rules;
    if (rules.operatorRun !== "") return this.operatorRun(at);
    for (const op of rules.operators) if (sql.startsWith(op, at)) return this.token("operator", at + op.length);
    return this.token(rules.singleOperators.includes(sql[at]!) ? "operator" : "punctuation", at + 1);
  }

  /**
   * Postgres' operator rule: the longest run of operator characters, cut before a comment, and
   * without trailing `+`/`-` unless it holds one of `~ ! @ # % ^ & | \` ?` (so `a<-1` is `<` `-1`).
   */
  private operatorRun(at: number): true {
    const sql = this.sql;
    for (const op of this.rules.operators) if (sql.startsWith(op, at)) return this.token("operator", at + op.length);
    if (!this.rules.operatorRun.includes(sql[at]!)) return this.token("punctuation", at + 1);
    let i = at;
    let special = false;
    while (i < sql.length) {
      const char = sql[i]!;
      if (!this.rules.operatorRun.includes(char)) break;
      if (i > at && ((char === "-" && sql[i + 1] === "-") || (char === "/" && sql[i + 1] === "*"))) break;
      if ("~!@#%^&|`?".includes(char)) special = true;
      i++;
    }
    if (!special) while (i - at > 1 && (sql[i - 1] === "+" || sql[i - 1] === "-")) i--;
    return this.token("operator", i);
  }
}

/**
 * Every token of `sql` in `dialect`, whitespace and comments included: their texts concatenated
 * give back `sql`.
 *
 * @example
 * tokenize(`SELECT $1::int, 'a''b' -- note`, "postgres").map((t) => t.kind);
 * // word, whitespace, placeholder, operator, word, punctuation, whitespace, string, whitespace, comment
 */
export function tokenize(sql: string, dialect: SqlDialect): SqlToken[] {
  const scanner = new SqlScanner(sql, dialect);
  const tokens: SqlToken[] = [];
  while (scanner.next()) tokens.push({ kind: scanner.kind, start: scanner.start, end: scanner.end });
  return tokens;
}

/** Whitespace and comments: what separates tokens without meaning anything. */
export function isTrivia(kind: SqlTokenKind): boolean {
  return kind === "whitespace" || kind === "comment";
}

/** The name a quoted identifier stands for: without its quotes, doubled quotes single. */
export function unquoteIdentifier(text: string): string {
  const open = text[0];
  if (open === "[") return text.slice(1, text.endsWith("]") ? -1 : undefined);
  const body = text.startsWith('U&"') || text.startsWith('u&"') ? text.slice(2) : text;
  const quote = body[0]!;
  const inner = body.slice(1, body.length > 1 && body.endsWith(quote) ? -1 : undefined);
  return inner.split(quote + quote).join(quote);
}

const BACKSLASH_ESCAPES: Readonly<Record<string, string>> = { n: "\n", t: "\t", r: "\r", b: "\b", "0": "\0", Z: "\x1a" };

/**
 * The value of a string literal token, as far as classification needs it: quotes and prefix
 * removed, doubled quotes single, and in dialects with backslash escapes (MySQL; Postgres `E'…'`)
 * `\x` read as the character it stands for. Dollar-quoted bodies are returned as written.
 */
export function stringValue(text: string, dialect: SqlDialect): string {
  if (text.startsWith("$")) {
    const tagEnd = text.indexOf("$", 1) + 1;
    return text.slice(tagEnd, text.length - tagEnd >= tagEnd ? text.length - tagEnd : text.length);
  }
  const quoteAt = text.search(/['"]/);
  const quote = text[quoteAt]!;
  const prefix = text.slice(0, quoteAt).toUpperCase();
  const backslash = (dialect === "mysql" && prefix !== "X" && prefix !== "B") || (dialect === "postgres" && prefix === "E");
  const body = text.slice(quoteAt + 1, text.length > quoteAt + 1 && text.endsWith(quote) ? -1 : undefined);
  let value = "";
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!;
    if (backslash && char === "\\" && i + 1 < body.length) {
      const escaped = body[++i]!;
      value += BACKSLASH_ESCAPES[escaped] ?? escaped;
    } else if (char === quote && body[i + 1] === quote) {
      value += quote;
      i++;
    } else {
      value += char;
    }
  }
  return value;
}
