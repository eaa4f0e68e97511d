import { SelectQueryBuilder, type ObjectLiteral } from "typeorm";
import { markLock, productionLockClause } from "./lock-clause";
import type { ProductionProfile } from "./production-profile";

const profiles = new WeakMap<object, ProductionProfile>();

/** Registers the production profile of a DataSource whose query builders render production locks. */
export function registerLockProfile(dataSource: object, profile: ProductionProfile): void {
  profiles.set(dataSource, profile);
}

/**
 * The query builder of a SharedReplicationDataSource with a production profile: it renders
 * pessimistic locks as production does, where TypeORM's SQLite path throws
 * `LockNotSupportedOnGivenDriverError`. It is a subclass, not a patch: other DataSources keep
 * TypeORM's own builder, and builders derived from this one (`subQuery()`, `clone()`) keep the
 * subclass because TypeORM creates them with `new this.constructor`.
 */
export class FidelitySelectQueryBuilder<Entity extends ObjectLiteral> extends SelectQueryBuilder<Entity> {
  protected override createLockExpression(): string {
    const profile = profiles.get(this.connection);
    if (!profile) return super.createLockExpression();
    return markLock(productionLockClause(profile, this.expressionMap));
  }
}
