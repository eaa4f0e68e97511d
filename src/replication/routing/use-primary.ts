import { runOnPrimary } from "./routing-scope";

/**
 * Runs `fn` with every read that TypeORM would send to a replica sent to the primary instead:
 * `find*`, `count`, query-builder reads and relation loading, in `fn` and in everything it starts
 * (the scope follows the async call chain, so concurrent requests with and without it do not
 * affect each other). Nested scopes stay on the primary; `transaction()` inside runs on the
 * primary as always. Works on every DataSource with replica routing: a
 * `SharedReplicationDataSource`, and a production DataSource after
 * {@link installReplicaRouting}. Returns what `fn` returns (its promise, for an async `fn`).
 *
 * @example
 * ```ts
 * await orders.update(id, { status: "paid" });
 * const order = await usePrimary(() => orders.findOneByOrFail({ id })); // read back from the primary
 * ```
 */
export function usePrimary<T>(fn: () => T): T {
  return runOnPrimary(fn);
}

type Method = (this: any, ...args: any[]) => any;

/**
 * `@UsePrimary()` as both of TypeScript's decorator flavours call it: the standard (TC39) form
 * `(method, context)`, and the legacy (`experimentalDecorators`) form `(target, key, descriptor)`.
 */
export interface UsePrimaryDecorator {
  /** Standard decorators: returns the method wrapped in {@link usePrimary}. */
  <M extends Method>(method: M, context: ClassMethodDecoratorContext): M;
  /** Legacy decorators (`experimentalDecorators`): replaces `descriptor.value` with the method wrapped in {@link usePrimary}. */
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

/**
 * A method decorator that runs every call of the method in {@link usePrimary}: its replica reads,
 * and those of everything it calls, go to the primary. Works with standard (TC39) decorators and
 * with `experimentalDecorators`, on sync and async methods.
 *
 * @example
 * ```ts
 * class CheckoutService {
 *   @UsePrimary()
 *   async confirm(orderId: string): Promise<Order> {
 *     return this.orders.findOneByOrFail({ id: orderId }); // served by the primary
 *   }
 * }
 * ```
 */
export function UsePrimary(): UsePrimaryDecorator {
  function decorate(method: Method, context: ClassMethodDecoratorContext): Method;
  function decorate(target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
  function decorate(target: unknown, contextOrKey: unknown, descriptor?: PropertyDescriptor): Method | PropertyDescriptor {
    if (isMethodContext(contextOrKey)) return onPrimary(target as Method, String(contextOrKey.name));
    if (typeof descriptor?.value !== "function") throw new TypeError(`@UsePrimary() decorates methods; ${String(contextOrKey)} is not one`);
    return { ...descriptor, value: onPrimary(descriptor.value as Method, String(contextOrKey)) };
  }
  return decorate;
}

function isMethodContext(value: unknown): value is ClassMethodDecoratorContext {
  if (typeof value !== "object" || value === null || !("kind" in value)) return false;
  if (value.kind === "method") return true;
  throw new TypeError(`@UsePrimary() decorates methods, not a ${String(value.kind)}`);
}

function onPrimary(method: Method, name: string): Method {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    return usePrimary(() => method.apply(this, args));
  };
  // Stack traces and framework reflection (Nest's handlers) read the name.
  Object.defineProperty(wrapped, "name", { value: method.name || name });
  return wrapped;
}
