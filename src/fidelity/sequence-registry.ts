import type { EntityMetadata, EntitySubscriberInterface, InsertEvent, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";

/**
 * Postgres sequences (and MySQL AUTO_INCREMENT) for generated integer columns SQLite cannot number
 * itself: every one that is not the table's single-column primary key. Like a sequence, a counter
 * only goes up, and a rolled-back insert still uses its number.
 */
export class SequenceRegistry {
  private readonly counters = new WeakMap<ColumnMetadata, number>();

  constructor(private readonly isSequence: (column: ColumnMetadata) => boolean) {}

  next(column: ColumnMetadata): number {
    const value = (this.counters.get(column) ?? 0) + 1;
    this.counters.set(column, value);
    return value;
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
