import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown by `initialize()` when an entity column is declared with a production type (or a type
 * feature: an array of it, a collation) that the test engine cannot store so that it reads back
 * the value the production driver returns. Nothing is guessed: change the column for the test, or
 * exclude the entity from the test DataSource.
 *
 * @example
 * ```ts
 * @Column("tsvector") search!: string;
 * await new SharedReplicationDataSource(productionOptions).initialize();
 * // UnsupportedColumnTypeError: Column Article.search has the postgres type "tsvector", …
 * ```
 */
export class UnsupportedColumnTypeError extends SharedReplicationError {
  /** Name of the entity that declares the column. */
  readonly entity: string;
  /** Property path of the column in the entity. */
  readonly column: string;
  /** The production type (or feature) that cannot be honoured, e.g. `"tsvector"` or `"citext[]"`. */
  readonly columnType: string;
  /** The production database family the type was read for: `"postgres"` or `"mysql"`. */
  readonly dialect: string;

  constructor(entity: string, column: string, columnType: string, dialect: string, advice: string) {
    super(`Column ${entity}.${column} has the ${dialect} type "${columnType}", which the test engine cannot store faithfully. ${advice}`);
    this.entity = entity;
    this.column = column;
    this.columnType = columnType;
    this.dialect = dialect;
  }
}
