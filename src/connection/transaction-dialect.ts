/** How an engine spells transaction control. */
export interface TransactionDialect {
  readonly begin: string;
  readonly commit: string;
  readonly rollback: string;
  savepoint(name: string): string;
  releaseSavepoint(name: string): string;
  rollbackToSavepoint(name: string): string;
}

export const standardTransactionDialect: TransactionDialect = {
  begin: "BEGIN TRANSACTION",
  commit: "COMMIT",
  rollback: "ROLLBACK",
  savepoint: (name) => `SAVEPOINT ${name}`,
  releaseSavepoint: (name) => `RELEASE SAVEPOINT ${name}`,
  rollbackToSavepoint: (name) => `ROLLBACK TO SAVEPOINT ${name}`,
};
