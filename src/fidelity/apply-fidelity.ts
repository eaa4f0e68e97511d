import type { DataSource, DataSourceOptions, EntityTarget, ObjectLiteral, QueryRunner } from "typeorm";
import { DriverUtils } from "typeorm/driver/DriverUtils";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import type { TableColumn } from "typeorm/schema-builder/table/TableColumn";
import { ApplyValueTransformers } from "typeorm/util/ApplyValueTransformers";
import { IncompatibleTypeOrmError } from "../errors/incompatible-typeorm-error";
import { ColumnPlanner, type ColumnPlan } from "./column-planner";
import { translateDefault } from "./default-expression";
import { FidelitySelectQueryBuilder, registerLockProfile } from "./fidelity-select-query-builder";
import { engineStatement, type EngineStatement } from "./engine-statement";
import { adaptMetadata, SEQUENCE_STRATEGY } from "./metadata-adapter";
import { productionProfileOf, type ProductionProfile } from "./production-profile";
import { explainEngineError } from "./production-sql";
import { STORAGE_TYPES, STORAGE_WITH_LENGTH } from "./production-types";
import { findChangedColumns, type SchemaDriver } from "./schema-diff";
import { SequenceRegistry, type SequenceCounters } from "./sequence-registry";

/** The driver methods the fidelity layer wraps, checked before it touches them. */
interface FidelityDriver extends SchemaDriver {
  preparePersistentValue(value: unknown, column: ColumnMetadata): unknown;
  prepareHydratedValue(value: unknown, column: ColumnMetadata): unknown;
  createFullType(column: TableColumn): string;
  findChangedColumns(tableColumns: TableColumn[], columns: ColumnMetadata[]): ColumnMetadata[];
  afterConnect(): Promise<void>;
  mappedDataTypes: Record<string, unknown>;
}

/** What the runners of a DataSource with production fidelity do to each statement. */
export interface StatementHooks {
  /** The statement the engine runs: production locking clauses removed, Postgres placeholders bound by number. */
  translateStatement(sql: string, parameters: unknown[] | undefined): EngineStatement;
  /** The error a failed statement reports: production-only SQL named as such. */
  translateError(error: unknown, sql: string): unknown;
}

const WRAPPED = [
  "normalizeType",
  "normalizeDefault",
  "getColumnLength",
  "normalizeIsUnique",
  "createFullType",
  "findChangedColumns",
  "preparePersistentValue",
  "prepareHydratedValue",
  "afterConnect",
] as const;

/** TypeORM's mapped types for create/update/delete/version columns, as the production drivers declare them. */
const PRODUCTION_MAPPED_TYPES: Record<ProductionProfile["dialect"], Record<string, unknown>> = {
  postgres: {
    createDate: "timestamp",
    createDateDefault: "now()",
    updateDate: "timestamp",
    updateDateDefault: "now()",
    deleteDate: "timestamp",
    version: "int4",
    treeLevel: "int4",
  },
  mysql: {
    createDate: "datetime",
    createDatePrecision: 6,
    createDateDefault: "CURRENT_TIMESTAMP(6)",
    updateDate: "datetime",
    updateDatePrecision: 6,
    updateDateDefault: "CURRENT_TIMESTAMP(6)",
    deleteDate: "datetime",
    deleteDatePrecision: 6,
    version: "int",
    treeLevel: "int",
  },
};

function checkedDriver(driver: unknown): FidelityDriver {
  const surface = driver as Partial<FidelityDriver>;
  for (const method of WRAPPED) {
    if (typeof surface[method] !== "function") throw new IncompatibleTypeOrmError(`Driver.${method} to be a method`);
  }
  if (typeof surface.mappedDataTypes !== "object" || surface.mappedDataTypes === null)
    throw new IncompatibleTypeOrmError("Driver.mappedDataTypes to be an object");
  return surface as FidelityDriver;
}

/** `CREATE TABLE` column types: the storage type with its length or precision only where SQLite's schema reader reads them back. */
function storageFullType(column: TableColumn, native: (column: TableColumn) => string): string {
  if (column.enum) return "varchar";
  if (!STORAGE_TYPES.has(column.type)) return native(column);
  if (STORAGE_WITH_LENGTH.has(column.type as "varchar") && column.length) return `${column.type}(${column.length})`;
  if (column.type === "numeric" && column.precision !== undefined && column.precision !== null) {
    return column.scale !== undefined && column.scale !== null
      ? `numeric(${column.precision},${column.scale})`
      : `numeric(${column.precision})`;
  }
  return column.type;
}

/**
 * Makes a SharedReplicationDataSource behave like the application's production database (Postgres,
 * MySQL, MariaDB): production column types are stored so that they read back the values the
 * production driver returns, their defaults and generated values work, pessimistic locks are
 * accepted, and production-only SQL fails with a clear error. Everything is installed on this
 * DataSource's own driver instance and metadata: TypeORM's classes and other DataSources using the
 * same entities are untouched.
 *
 * @param sequenceCounters the sequences of the connection the DataSource runs on.
 * @returns the statement hooks for the DataSource's runners, or `undefined` when the options are
 * not for a database whose behaviour is reproduced, or the engine is not SQLite (nothing is
 * installed then).
 */
export function applyProductionFidelity(
  dataSource: DataSource,
  options: DataSourceOptions,
  sequenceCounters: SequenceCounters,
): StatementHooks | undefined {
  const profile = productionProfileOf(options);
  // A Postgres or MySQL server engine behaves as production already; only SQLite engines need the layer.
  if (!profile || !DriverUtils.isSQLiteFamily(dataSource.driver)) return undefined;
  const driver = checkedDriver(dataSource.driver);
  if (typeof DriverUtils.buildAlias !== "function") throw new IncompatibleTypeOrmError("DriverUtils.buildAlias to be a function");
  const native = Object.fromEntries(
    WRAPPED.map((method) => [method, (driver[method] as (...args: never[]) => unknown).bind(driver)]),
  ) as unknown as FidelityDriver;
  const planner = new ColumnPlanner(profile);
  const isSequence = (column: ColumnMetadata) => column.isGenerated && (column.generationStrategy as string) === SEQUENCE_STRATEGY;
  const sequences = new SequenceRegistry(isSequence, sequenceCounters);

  driver.mappedDataTypes = { ...driver.mappedDataTypes, ...PRODUCTION_MAPPED_TYPES[profile.dialect] };
  driver.normalizeType = (column) => planner.planOf(column as ColumnMetadata)?.storage ?? native.normalizeType(column);
  driver.getColumnLength = (column) => planner.planOf(column)?.length ?? native.getColumnLength(column);
  // TypeORM asks for every insert; the translation depends on the column's default and plan only.
  const defaults = new WeakMap<ColumnMetadata, { source: unknown; plan: ColumnPlan; sql: string | undefined }>();
  driver.normalizeDefault = (column) => {
    const plan = planner.planOf(column);
    if (!plan) return native.normalizeDefault(column);
    const known = defaults.get(column as ColumnMetadata);
    if (known && known.source === column.default && known.plan === plan) return known.sql;
    const sql = translateDefault(column, plan, profile.dialect);
    defaults.set(column as ColumnMetadata, { source: column.default, plan, sql });
    return sql;
  };
  driver.createFullType = (column) => storageFullType(column, native.createFullType);
  driver.findChangedColumns = (tableColumns, columns) => findChangedColumns(driver, tableColumns, columns);
  driver.preparePersistentValue = (value, column) => {
    const plan = planner.planOf(column);
    if (!plan) return native.preparePersistentValue(value, column);
    if (column.transformer) value = ApplyValueTransformers.transformTo(column.transformer, value);
    if (value === undefined && isSequence(column)) return sequences.next(column);
    if (value === null || value === undefined) return value;
    return plan.codec.store(plan.codec.normalize(value));
  };
  driver.prepareHydratedValue = (value, column) => {
    const plan = planner.planOf(column);
    if (!plan) return native.prepareHydratedValue(value, column);
    const hydrated = value === null || value === undefined ? value : plan.codec.present(plan.codec.load(value));
    return column.transformer ? ApplyValueTransformers.transformFrom(column.transformer, hydrated) : hydrated;
  };
  driver.afterConnect = async () => {
    await native.afterConnect();
    adaptMetadata(dataSource, planner);
    if (dataSource.entityMetadatas.some((entity) => entity.columns.some(isSequence))) dataSource.subscribers.push(sequences.subscriber());
  };

  registerLockProfile(dataSource, profile);
  // An own property of this DataSource: every builder it (and its managers and repositories) creates renders production locks.
  // It builds the subclass as TypeORM's createQueryBuilder builds its own (the same in 0.3 and 1.x),
  // rather than copying TypeORM's builder into one, which would clone every query's expression map.
  dataSource.createQueryBuilder = ((entityOrRunner?: unknown, alias?: string, queryRunner?: QueryRunner) => {
    if (!alias) return new FidelitySelectQueryBuilder(dataSource, entityOrRunner as QueryRunner | undefined);
    const escapedAlias = DriverUtils.buildAlias(dataSource.driver, undefined, alias);
    return new FidelitySelectQueryBuilder(dataSource, queryRunner)
      .select(escapedAlias)
      .from(dataSource.getMetadata(entityOrRunner as EntityTarget<ObjectLiteral>).target, escapedAlias);
  }) as DataSource["createQueryBuilder"];

  return {
    translateStatement: (sql, parameters) => engineStatement(sql, parameters, profile.dialect),
    translateError: (error, sql) => explainEngineError(error, sql, profile.dialect),
  };
}
