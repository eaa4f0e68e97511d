import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown by `initialize()` when a column's `default` is a production SQL expression the test
 * engine has no equivalent for (e.g. `nextval('…')` or a user-defined function). Supported are
 * literals, casts of literals (`'{}'::jsonb`), `now()`/`CURRENT_TIMESTAMP` and their variants,
 * `CURRENT_DATE`, `CURRENT_TIME`, `gen_random_uuid()`, `uuid_generate_v4()` and `UUID()`.
 *
 * @example
 * ```ts
 * @Column({ type: "int", default: () => "nextval('order_seq')" }) number!: number;
 * // UnsupportedColumnDefaultError: Column Order.number has the default nextval('order_seq'), …
 * ```
 */
export class UnsupportedColumnDefaultError extends SharedReplicationError {
  /** Name of the entity that declares the column. */
  readonly entity: string;
  /** Property path of the column in the entity. */
  readonly column: string;
  /** The default expression as declared. */
  readonly expression: string;

  constructor(entity: string, column: string, expression: string, reason: string) {
    super(
      `Column ${entity}.${column} has the default ${expression}, which the test engine cannot evaluate: ${reason} ` +
        `Use a literal default, one of the supported expressions (now(), CURRENT_TIMESTAMP, CURRENT_DATE, gen_random_uuid(), ` +
        `uuid_generate_v4(), UUID()), or @Generated() for generated values.`,
    );
    this.entity = entity;
    this.column = column;
    this.expression = expression;
  }
}
