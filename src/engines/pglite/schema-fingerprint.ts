import { createHash } from "node:crypto";
import type { DataSource, MigrationInterface } from "typeorm";
import { ConnectionMetadataBuilder } from "typeorm/connection/ConnectionMetadataBuilder";
import type { EntityMetadata } from "typeorm/metadata/EntityMetadata";
import { ObjectUtils } from "typeorm/util/ObjectUtils";

/** What a DataSource's schema is made of, as a PGlite snapshot is keyed. */
export interface SchemaFingerprint {
  /** A hash of the entities' tables, columns, indices and constraints and of the migrations' code. */
  readonly hash: string;
  /** Everything the hash covers, as text: extensions are looked for in it. */
  readonly text: string;
}

interface BuildableOptions {
  readonly entities?: unknown;
  readonly migrations?: unknown;
  readonly migrationsRun?: unknown;
  readonly schema?: unknown;
  readonly uuidExtension?: unknown;
  readonly cache?: unknown;
}

const text = (value: unknown): unknown => (typeof value === "function" ? String(value) : value);

function describeEntity(metadata: EntityMetadata): unknown {
  return {
    table: metadata.tablePath,
    type: metadata.tableType,
    expression: text(metadata.expression),
    columns: metadata.columns.map((column) => [
      column.databaseName,
      text(column.type),
      column.length,
      column.precision,
      column.scale,
      column.isNullable,
      column.isPrimary,
      column.isGenerated,
      column.generationStrategy,
      text(column.default),
      column.isArray,
      column.enum,
      column.enumName,
      column.collation,
      column.asExpression,
      column.generatedType,
      column.comment,
      column.unsigned,
    ]),
    indices: metadata.indices.map((index) => [
      index.name,
      index.columns.map((column) => column.databaseName),
      index.isUnique,
      index.isSpatial,
      index.isFulltext,
      index.where,
      (index as unknown as { isConcurrent?: boolean }).isConcurrent,
    ]),
    uniques: metadata.uniques.map((unique) => [unique.name, unique.columns.map((column) => column.databaseName), unique.deferrable]),
    checks: metadata.checks.map((check) => [check.name, check.expression]),
    exclusions: metadata.exclusions.map((exclusion) => [exclusion.name, exclusion.expression]),
    foreignKeys: metadata.foreignKeys.map((key) => [
      key.name,
      key.columnNames,
      key.referencedTablePath,
      key.referencedColumnNames,
      key.onDelete,
      key.onUpdate,
      key.deferrable,
    ]),
  };
}

/**
 * The fingerprint of the schema `dataSource`'s options describe, built from its entities and
 * migrations before TypeORM builds them itself (at connect, the engine needs it to pick a
 * snapshot). `undefined` when TypeORM's metadata builder is not the shape this was written for:
 * the schema is then simply created, as on a first run.
 */
export async function schemaFingerprint(dataSource: DataSource): Promise<SchemaFingerprint | undefined> {
  if (typeof ConnectionMetadataBuilder !== "function" || typeof ObjectUtils?.mixedListToArray !== "function") return undefined;
  const options = dataSource.options as BuildableOptions;
  const builder = new ConnectionMetadataBuilder(dataSource);
  if (typeof builder.buildEntityMetadatas !== "function" || typeof builder.buildMigrations !== "function") return undefined;
  let entities: EntityMetadata[];
  let migrations: MigrationInterface[];
  try {
    entities = await builder.buildEntityMetadatas(ObjectUtils.mixedListToArray((options.entities ?? []) as never));
    migrations = await builder.buildMigrations(ObjectUtils.mixedListToArray((options.migrations ?? []) as never));
  } catch {
    // Entities TypeORM cannot build: it says why itself when it builds them, right after connecting.
    return undefined;
  }
  const uuidGenerated = entities.some((entity) => entity.columns.some((column) => column.generationStrategy === "uuid"));
  const description = JSON.stringify({
    entities: entities.map(describeEntity).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    migrations: migrations.map((migration) => [
      migration.name ?? migration.constructor.name,
      String(migration.up),
      String(migration.down),
      migration.transaction,
    ]),
    migrationsRun: options.migrationsRun,
    schema: options.schema,
    cache: options.cache === undefined ? undefined : JSON.stringify(options.cache),
    // TypeORM installs it when a uuid column is generated (see PostgresDriver.afterConnect).
    uuidExtension: uuidGenerated ? (options.uuidExtension ?? "uuid-ossp") : undefined,
  });
  return { hash: createHash("sha256").update(description).digest("hex").slice(0, 32), text: description };
}
