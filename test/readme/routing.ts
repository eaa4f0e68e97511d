// #region routing-production
import type { DataSource } from "typeorm";
import {
  installReplicaRouting,
  replicaPinning,
  UsePrimary,
  usePrimary,
  withReplicaPinning,
  type ReplicaPinningMiddleware,
} from "../../src";
import { User } from "./app";

/** At startup, once per DataSource. Returns the middleware to mount: `app.use(...)`. */
export function setUpRouting(dataSource: DataSource, pinSecret: string): ReplicaPinningMiddleware {
  // Patches this DataSource instance only. Replica reads take the replicas in turn ("random", or
  // your own (replicas, context) => index, choose otherwise), skipping replicas marked down.
  const routing = installReplicaRouting(dataSource, { select: "round-robin" });
  if (process.env.REPLICA_1_LAGGING) routing.markReplicaDown(1); // routing.markReplicaUp(1) puts it back

  // Read-your-writes over HTTP: after a request writes, its user agent reads from the primary for
  // 15 seconds (a signed cookie). Connect-style: Express, Nest, Fastify (@fastify/middie), Koa (koa-connect).
  return replicaPinning({ secret: pinSecret, seconds: 15 });
}

export class AccountService {
  constructor(private readonly dataSource: DataSource) {}

  async rename(id: number, name: string): Promise<User> {
    await this.dataSource.getRepository(User).update(id, { name });
    // Reads in here go to the primary, wherever TypeORM would have sent them.
    return usePrimary(() => this.dataSource.getRepository(User).findOneByOrFail({ id }));
  }

  @UsePrimary() // every read of the method, and of what it calls, goes to the primary
  async reload(id: number): Promise<User> {
    return this.dataSource.getRepository(User).findOneByOrFail({ id });
  }

  // Jobs and message consumers: once the job writes, its reads go to the primary; pinnedUntil
  // carries the pin of the request that queued it.
  renameJob(message: { id: number; name: string; pinnedUntil?: number }): Promise<User> {
    const users = this.dataSource.getRepository(User);
    return withReplicaPinning(
      async () => {
        await users.update(message.id, { name: message.name });
        return users.findOneByOrFail({ id: message.id }); // the primary: this job wrote
      },
      { pinnedUntil: message.pinnedUntil },
    );
  }
}
// #endregion routing-production
