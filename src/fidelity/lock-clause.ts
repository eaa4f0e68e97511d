import { LockNotSupportedOnGivenDriverError, TypeORMError } from "typeorm";
import type { QueryExpressionMap } from "typeorm/query-builder/QueryExpressionMap";
import type { SqlEdit } from "../sql/sql-edit";
import { isTrivia, type SqlToken } from "../sql/tokenizer";
import { runningTypeOrmLine, type LockMode } from "../typeorm/typeorm-line";
import type { ProductionProfile } from "./production-profile";

const OPEN = "/*shared-replication:lock*/";
const CLOSE = "/*shared-replication:end-lock*/";

/**
 * The locking clause production's TypeORM driver appends for the query builder's lock mode,
 * mirroring `SelectQueryBuilder.createLockExpression` for Postgres, MySQL and MariaDB (MySQL
 * taken as 8.0, which spells a shared lock `FOR SHARE`). Locks production does not support throw
 * the error production throws; modes the running TypeORM line lacks render nothing, as that line's
 * own builder does.
 */
export function productionLockClause(profile: ProductionProfile, map: QueryExpressionMap): string {
  // Widened to both lines' modes: 1.x's type lacks the two it removed, 0.3 may still pass them.
  const mode = map.lockMode as LockMode | undefined;
  const postgres = profile.dialect === "postgres";
  let tables = "";
  if (map.lockTables) {
    if (!postgres) throw new TypeORMError("Lock tables not supported in selected driver");
    if (map.lockTables.length < 1) throw new TypeORMError("lockTables cannot be an empty array");
    tables = " OF " + map.lockTables.join(", ");
  }
  const onLocked = map.onLocked === "nowait" ? " NOWAIT" : map.onLocked === "skip_locked" ? " SKIP LOCKED" : "";
  if (mode === undefined || !runningTypeOrmLine().hasLockMode(mode)) return "";
  switch (mode) {
    case "pessimistic_read":
      if (profile.type === "mariadb") return " LOCK IN SHARE MODE";
      return " FOR SHARE" + tables + onLocked;
    case "pessimistic_write":
      return " FOR UPDATE" + tables + onLocked;
    case "pessimistic_partial_write":
      return postgres ? " FOR UPDATE" + tables + " SKIP LOCKED" : " FOR UPDATE SKIP LOCKED";
    case "pessimistic_write_or_fail":
      return postgres ? " FOR UPDATE" + tables + " NOWAIT" : " FOR UPDATE NOWAIT";
    case "for_no_key_update":
      if (!postgres) throw new LockNotSupportedOnGivenDriverError();
      return " FOR NO KEY UPDATE" + tables + onLocked;
    case "for_key_share":
      if (!postgres) throw new LockNotSupportedOnGivenDriverError();
      return " FOR KEY SHARE" + tables + onLocked;
    default:
      return "";
  }
}

/**
 * Wraps a locking clause in markers. The statement keeps it, so the query log shows what
 * production runs and replica runners reject it as the write it is; {@link lockEdits} removes
 * it right before the engine, which has no row locks (it serialises writers, so the lock holds).
 */
export function markLock(clause: string): string {
  return clause === "" ? "" : `${OPEN}${clause}${CLOSE}`;
}

/**
 * What to cut from `sql` (tokenized as `tokens`) so no locking clause is left: the marked ones the
 * query builder wrote, and the clauses that end a raw statement written for production
 * (`FOR UPDATE | SHARE | NO KEY UPDATE | KEY SHARE [OF t, …] [NOWAIT | SKIP LOCKED | WAIT n]`,
 * `LOCK IN SHARE MODE`), with the `;` after them.
 */
export function lockEdits(sql: string, tokens: readonly SqlToken[]): SqlEdit[] {
  const edits: SqlEdit[] = [];
  const words: Word[] = [];
  let open: SqlToken | undefined;
  for (const token of tokens) {
    if (token.kind === "comment") {
      const text = sql.slice(token.start, token.end);
      if (text === OPEN) open ??= token;
      else if (text === CLOSE && open) {
        edits.push({ start: open.start, end: token.end, text: "" });
        open = undefined;
      }
    }
    if (open || isTrivia(token.kind)) continue;
    const text = token.kind === "string" || token.kind === "quoted-identifier" ? "" : sql.slice(token.start, token.end);
    words.push({ token, word: token.kind === "word" ? text.toUpperCase() : text });
  }
  let last = words.length - 1;
  if (words[last]?.token.kind === "separator") last--;
  for (let k = 1; k <= last; k++) {
    if ((words[k]!.word === "FOR" || words[k]!.word === "LOCK") && lockClausesEnd(words, k) === last + 1) {
      edits.push({ start: words[k - 1]!.token.end, end: sql.length, text: "" });
      break;
    }
  }
  return edits;
}

interface Word {
  readonly token: SqlToken;
  /** Upper-cased for words; the text otherwise. */
  readonly word: string;
}

/** The index after the locking clauses starting at `k`, or -1 when none starts there. */
function lockClausesEnd(words: readonly Word[], k: number): number {
  const is = (i: number, ...expected: string[]) =>
    expected.every((word, n) => words[i + n]?.word === word && words[i + n]!.token.kind === "word");
  let i = k;
  while (i < words.length) {
    if (is(i, "FOR", "UPDATE") || is(i, "FOR", "SHARE")) i += 2;
    else if (is(i, "FOR", "NO", "KEY", "UPDATE")) i += 4;
    else if (is(i, "FOR", "KEY", "SHARE")) i += 3;
    else if (is(i, "LOCK", "IN", "SHARE", "MODE")) i += 4;
    else break;
    if (is(i, "OF")) {
      i++;
      for (;;) {
        const kind = words[i]?.token.kind;
        if (kind !== "word" && kind !== "quoted-identifier") return -1;
        i++;
        if (words[i]?.word === "." || words[i]?.word === ",") i++;
        else break;
      }
    }
    if (is(i, "NOWAIT")) i++;
    else if (is(i, "SKIP", "LOCKED")) i += 2;
    else if (is(i, "WAIT") && words[i + 1]?.token.kind === "number") i += 2;
  }
  return i === k ? -1 : i;
}
