import { QueryFailedError } from "typeorm";

/**
 * What production Postgres answers (SQLSTATE 25P02) to a statement sent in a transaction in which
 * an earlier statement failed, until the application rolls back to a savepoint or ends the
 * transaction. A Postgres application tested on SQLite gets it too, so code that catches an error
 * and carries on inside the same transaction fails in tests as it would in production. It is a
 * TypeORM `QueryFailedError` whose `code` is `"25P02"`, like the one `pg` gives.
 *
 * @example
 * ```ts
 * await dataSource.transaction(async (manager) => {
 *   await manager.insert(User, duplicate).catch(() => undefined); // fails: unique violation
 *   await manager.find(User); // TransactionAbortedError, as in production
 * });
 * ```
 */
export class TransactionAbortedError extends QueryFailedError {
  /** The SQLSTATE Postgres reports: `"25P02"` (in_failed_sql_transaction). */
  readonly code = "25P02";

  constructor(query: string, parameters: unknown[] | undefined) {
    const driverError = Object.assign(
      new Error(
        "current transaction is aborted, commands ignored until end of transaction block " +
          "(a statement of this Postgres transaction failed earlier: roll back to a savepoint taken before it, or roll the transaction back)",
      ),
      { code: "25P02", severity: "ERROR" },
    );
    super(query, parameters, driverError);
    Object.defineProperty(this, "name", { value: "TransactionAbortedError", configurable: true, writable: true });
  }
}
