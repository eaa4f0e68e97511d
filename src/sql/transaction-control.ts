import type { ApplicationFamily } from "../data-source/application-type";
import { isTrivia, SqlScanner, type SqlTokenKind } from "./tokenizer";

/** What a transaction-control statement does, whatever its spelling. */
export type TransactionControl =
  | { readonly kind: "begin" }
  | { readonly kind: "commit"; readonly chain?: boolean }
  | { readonly kind: "rollback"; readonly chain?: boolean }
  | { readonly kind: "savepoint"; readonly name: string }
  | { readonly kind: "release"; readonly name: string }
  | { readonly kind: "rollback-to"; readonly name: string };

/** The result of reading a statement as transaction control. */
export type TransactionControlReading = { readonly control: TransactionControl; readonly accepted: boolean } | undefined;

/**
 * The words of `sql` as `family` tokenizes it, upper-cased (quoted identifiers kept as written),
 * with comments, whitespace, commas and trailing `;`s skipped. `undefined` when anything else
 * is there: a literal, an operator, or a second statement. Enough for transaction control, whose
 * grammar is a few words.
 */
function words(sql: string, family: ApplicationFamily): string[] | undefined {
  const result: string[] = [];
  const scanner = new SqlScanner(sql, family);
  let ended = false;
  while (scanner.next()) {
    const kind = scanner.kind;
    if (isTrivia(kind)) continue;
    if (kind === "separator") {
      // Empty statements around it are nothing; anything after it makes it a multi-statement string.
      ended = result.length > 0;
      continue;
    }
    if (ended) return undefined;
    const text = scanner.text();
    // Punctuation such as the "," between transaction modes.
    if (kind === "punctuation" && text === ",") continue;
    const word = controlWord(kind, text);
    if (word === undefined) return undefined;
    result.push(word);
  }
  return result;
}

/**
 * A token as a word of transaction control: words upper-cased, quoted names as written. A
 * double-quoted name counts even where the dialect reads it as a string (MySQL without
 * ANSI_QUOTES), so the harness's own savepoint names are recognised in every spelling.
 */
export function controlWord(kind: SqlTokenKind, text: string): string | undefined {
  if (kind === "word") return text.toUpperCase();
  if (kind === "quoted-identifier" || (kind === "string" && text.startsWith('"'))) return text;
  return undefined;
}

const FILLER = new Set(["WORK", "TRANSACTION"]);
// Transaction modes BEGIN / START TRANSACTION may carry (Postgres, MySQL, SQLite).
const MODE_WORDS = new Set([
  "ISOLATION",
  "LEVEL",
  "READ",
  "WRITE",
  "ONLY",
  "COMMITTED",
  "UNCOMMITTED",
  "REPEATABLE",
  "SERIALIZABLE",
  "DEFERRABLE",
  "NOT",
  "WITH",
  "CONSISTENT",
  "SNAPSHOT",
  "DEFERRED",
  "IMMEDIATE",
  "EXCLUSIVE",
]);
// COMMIT / ROLLBACK options: AND [NO] CHAIN, [NO] RELEASE (MySQL), AND [NO] CHAIN (Postgres).
const END_OPTIONS = new Set(["AND", "NO", "CHAIN", "RELEASE"]);

/** Which spellings each production family accepts (its documented grammar). */
interface Grammar {
  /** `BEGIN` alone and with `TRANSACTION`/`WORK` and modes. */
  readonly beginModes: ReadonlySet<string>;
  readonly startTransaction: boolean;
  /** The modes `START TRANSACTION` accepts. */
  readonly startModes: ReadonlySet<string>;
  readonly end: boolean;
  readonly abort: boolean;
  readonly endOptions: boolean;
  /** `RELEASE name` without the word `SAVEPOINT`. */
  readonly releaseWithoutKeyword: boolean;
  readonly beginFiller: ReadonlySet<string>;
  readonly endFiller: ReadonlySet<string>;
}

const GRAMMARS: Record<ApplicationFamily, Grammar> = {
  postgres: {
    beginModes: new Set(
      [...MODE_WORDS].filter((w) => !["CONSISTENT", "SNAPSHOT", "WITH", "DEFERRED", "IMMEDIATE", "EXCLUSIVE"].includes(w)),
    ),
    startTransaction: true,
    startModes: new Set([
      "ISOLATION",
      "LEVEL",
      "READ",
      "WRITE",
      "ONLY",
      "COMMITTED",
      "UNCOMMITTED",
      "REPEATABLE",
      "SERIALIZABLE",
      "DEFERRABLE",
      "NOT",
    ]),
    end: true,
    abort: true,
    endOptions: true,
    releaseWithoutKeyword: true,
    beginFiller: FILLER,
    endFiller: FILLER,
  },
  mysql: {
    beginModes: new Set(),
    startTransaction: true,
    startModes: new Set(["READ", "WRITE", "ONLY", "WITH", "CONSISTENT", "SNAPSHOT"]),
    end: false,
    abort: false,
    endOptions: true,
    releaseWithoutKeyword: false,
    beginFiller: new Set(["WORK"]),
    endFiller: new Set(["WORK"]),
  },
  sqlite: {
    beginModes: new Set(["DEFERRED", "IMMEDIATE", "EXCLUSIVE"]),
    startTransaction: false,
    startModes: new Set(),
    end: true,
    abort: false,
    endOptions: false,
    releaseWithoutKeyword: true,
    beginFiller: new Set(["TRANSACTION"]),
    endFiller: new Set(["TRANSACTION"]),
  },
};

/**
 * Reads `sql` as one transaction-control statement in any spelling of Postgres, MySQL/MariaDB or
 * SQLite (`BEGIN [WORK|TRANSACTION] [modes]`, `BEGIN DEFERRED|IMMEDIATE|EXCLUSIVE`,
 * `START TRANSACTION [modes]`, `COMMIT|END [WORK|TRANSACTION] [AND [NO] CHAIN]`,
 * `ROLLBACK|ABORT [WORK|TRANSACTION]`, `SAVEPOINT n`, `RELEASE [SAVEPOINT] n`,
 * `ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] n`), saying whether `family` accepts that spelling.
 *
 * @returns `undefined` when `sql` is not transaction control.
 */
export function readTransactionControl(sql: string, family: ApplicationFamily): TransactionControlReading {
  const w = words(sql, family);
  return w ? readTransactionControlWords(w, family) : undefined;
}

/**
 * {@link readTransactionControl} on the words of one statement: upper-cased words, quoted
 * identifiers as written, commas left out.
 */
export function readTransactionControlWords(w: readonly string[], family: ApplicationFamily): TransactionControlReading {
  if (w.length === 0) return undefined;
  const grammar = GRAMMARS[family];
  const [first, ...rest] = w;
  switch (first) {
    case "BEGIN": {
      const filler = rest[0] !== undefined && FILLER.has(rest[0]) ? rest[0] : undefined;
      const modes = filler ? rest.slice(1) : rest;
      // SQLite puts its mode before TRANSACTION: BEGIN IMMEDIATE TRANSACTION.
      const sqliteMode = family === "sqlite" && modes.length === 2 && modes[1] === "TRANSACTION" ? [modes[0]!] : modes;
      if (!modes.every((m) => MODE_WORDS.has(m) || m === "TRANSACTION")) return undefined;
      const accepted = (filler === undefined || grammar.beginFiller.has(filler)) && sqliteMode.every((m) => grammar.beginModes.has(m));
      return { control: { kind: "begin" }, accepted };
    }
    case "START": {
      const modes = rest.slice(1);
      if (rest[0] !== "TRANSACTION" || !modes.every((m) => MODE_WORDS.has(m))) return undefined;
      return { control: { kind: "begin" }, accepted: grammar.startTransaction && modes.every((m) => grammar.startModes.has(m)) };
    }
    case "COMMIT":
    case "END": {
      const tail = endTail(rest, grammar);
      if (!tail) return undefined;
      return { control: { kind: "commit", chain: tail.chain }, accepted: tail.accepted && (first === "COMMIT" || grammar.end) };
    }
    case "ABORT": {
      const tail = endTail(rest, grammar);
      if (!tail) return undefined;
      return { control: { kind: "rollback", chain: tail.chain }, accepted: tail.accepted && grammar.abort };
    }
    case "ROLLBACK": {
      const to = rest.indexOf("TO");
      if (to < 0) {
        const tail = endTail(rest, grammar);
        return tail ? { control: { kind: "rollback", chain: tail.chain }, accepted: tail.accepted } : undefined;
      }
      const before = rest.slice(0, to);
      const after = rest.slice(to + 1);
      const name = after[0] === "SAVEPOINT" ? after[1] : after[0];
      if (
        before.length > 1 ||
        (before[0] !== undefined && !FILLER.has(before[0])) ||
        !name ||
        after.length > (after[0] === "SAVEPOINT" ? 2 : 1)
      ) {
        return undefined;
      }
      const accepted = before[0] === undefined || grammar.endFiller.has(before[0]);
      return { control: { kind: "rollback-to", name }, accepted };
    }
    case "SAVEPOINT":
      return rest.length === 1 ? { control: { kind: "savepoint", name: rest[0]! }, accepted: true } : undefined;
    case "RELEASE": {
      const keyword = rest[0] === "SAVEPOINT";
      const name = keyword ? rest[1] : rest[0];
      if (!name || rest.length !== (keyword ? 2 : 1)) return undefined;
      return { control: { kind: "release", name }, accepted: keyword || grammar.releaseWithoutKeyword };
    }
    default:
      return undefined;
  }
}

/**
 * `[WORK|TRANSACTION] [AND [NO] CHAIN] [[NO] RELEASE]` after COMMIT/END/ROLLBACK/ABORT. `chain`:
 * `AND CHAIN`, which begins a new transaction as soon as this one ends.
 */
function endTail(rest: readonly string[], grammar: Grammar): { accepted: boolean; chain: boolean } | undefined {
  const filler = rest[0] !== undefined && FILLER.has(rest[0]) ? rest[0] : undefined;
  const options = filler ? rest.slice(1) : rest;
  if (!options.every((word) => END_OPTIONS.has(word))) return undefined;
  const chain = options[0] === "AND" && options[1] === "CHAIN";
  return { accepted: (filler === undefined || grammar.endFiller.has(filler)) && (options.length === 0 || grammar.endOptions), chain };
}
