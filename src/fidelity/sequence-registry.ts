import type { EntityMetadata, EntitySubscriberInterface, InsertEvent, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";

/**
 * The sequences of one connection, by table and column: like Postgres' sequences, they live with
 * the database, so every DataSource sharing the connection numbers a column from the same one.
 */
export class SequenceCounters {
  private readonly counters = new Map<string, number>();

  next(tablePath: string, column: string): number {
    const key = `${tablePath}\u0000${column}`;
    const value = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, value);
    return value;
  }

  /** Restarts the sequences of `tablePath`'s columns, as `TRUNCATE … RESTART IDENTITY` does. */
  restart(tablePath: string): void {
    for (const key of this.counters.keys()) if (key.startsWith(`${tablePath}\u0000`)) this.counters.delete(key);
  }
}

/**
 * Postgres sequences (and MySQL AUTO_INCREMENT) for generated integer columns SQLite cannot number
 * itself: every one that is not the table's single-column primary key. Like a sequence, a counter
 * only goes up, a rolled-back insert still uses its number, and a row inserted with an explicit
 * value leaves it where it was.
 */
export class SequenceRegistry {
  constructor(
    private readonly isSequence: (column: ColumnMetadata) => boolean,
    private readonly counters: SequenceCounters,
  ) {}

  next(column: ColumnMetadata): number {
    return this.counters.next(column.entityMetadata.tablePath, column.databaseName);
  }

  /**
   * A subscriber numbering the sequence columns an inserted entity leaves empty. It sets them on the
   * entity itself, so the application sees them after `save()`, as `RETURNING` gives them in production.
   */
  subscriber(): EntitySubscriberInterface {
    return {
      beforeInsert: (event: InsertEvent<ObjectLiteral>) => this.assignMissing(event.metadata, event.entity),
    };
  }

  private assignMissing(metadata: EntityMetadata, entity: ObjectLiteral | undefined): void {
    if (!entity) return;
    for (const column of metadata.columns) {
      if (this.isSequence(column) && column.getEntityValue(entity) === undefined) column.setEntityValue(entity, this.next(column));
    }
  }
}
