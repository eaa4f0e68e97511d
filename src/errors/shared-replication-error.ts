/**
 * Base class of every error this library throws, so callers can tell them apart from TypeORM's
 * and the driver's errors with one `instanceof` check.
 *
 * @example
 * ```ts
 * try {
 *   await replicaRunner.query("DELETE FROM user");
 * } catch (error) {
 *   if (error instanceof SharedReplicationError) console.error(error.name, error.message);
 * }
 * ```
 */
export class SharedReplicationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
