import { LockNotSupportedOnGivenDriverError, TypeORMError } from "typeorm";
import type { QueryExpressionMap } from "typeorm/query-builder/QueryExpressionMap";
import { runningTypeOrmLine, type LockMode } from "../typeorm/typeorm-line";
import type { ProductionProfile } from "./production-profile";

const OPEN = "/*shared-replication:lock*/";
const CLOSE = "/*shared-replication:end-lock*/";
const MARKED_LOCK = /\/\*shared-replication:lock\*\/[\s\S]*?\/\*shared-replication:end-lock\*\//g;
// A locking clause that ends a raw statement written for production.
const TRAILING_LOCK =
  /\s+(?:FOR\s+(?:UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)(?:\s+OF\s+[\w".]+(?:\s*,\s*[\w".]+)*)?(?:\s+NOWAIT|\s+SKIP\s+LOCKED)?|LOCK\s+IN\s+SHARE\s+MODE)\s*;?\s*$/i;

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
 * production runs and replica runners reject it as the write it is; {@link withoutLocks} removes
 * it right before the engine, which has no row locks (it serialises writers, so the lock holds).
 */
export function markLock(clause: string): string {
  return clause === "" ? "" : `${OPEN}${clause}${CLOSE}`;
}

/** The statement without locking clauses: the marked ones the query builder wrote, and a trailing one in raw SQL. */
export function withoutLocks(sql: string): string {
  const unmarked = sql.includes(OPEN) ? sql.replace(MARKED_LOCK, "") : sql;
  return TRAILING_LOCK.test(unmarked) ? unmarked.replace(TRAILING_LOCK, "") : unmarked;
}
