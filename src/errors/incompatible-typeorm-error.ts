import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when the installed TypeORM does not have the shape this library relies on (a method it
 * wraps is missing or changed). Check that `typeorm` is within the supported peer range.
 */
export class IncompatibleTypeOrmError extends SharedReplicationError {
  /** What was expected and not found. */
  readonly expected: string;

  constructor(expected: string) {
    super(
      `The installed TypeORM is not compatible with typeorm-shared-replication: expected ${expected}. ` +
        `Use a TypeORM version within this package's peer dependency range.`,
    );
    this.expected = expected;
  }
}
