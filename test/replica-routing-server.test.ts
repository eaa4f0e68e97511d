import { expect } from "chai";
import type { Server } from "node:http";
import request from "supertest";
import { Column, DataSource, Entity, PrimaryGeneratedColumn, ViewColumn, ViewEntity, type DataSourceOptions } from "typeorm";
import { serverEngine, testServer } from "../ormconfig.test";
import { installReplicaRouting, replicaPinning, UsePrimary, usePrimary, type ReplicaRouting } from "../src";
import { express } from "./support/express";
import { createDatabase, dropDatabase, withAdmin } from "./support/server-connections";

// A production-shaped replicated DataSource, as an application configures one: its master and
// both slaves are the machine's server, told apart by what each node's connections carry (on
// Postgres an application_name, on MariaDB a user of its own, read-only for the slaves). The
// server itself says which role served each statement.

/** The session's name for each role, and how the server reports it. */
interface ServerRoles {
  readonly type: "postgres" | "mariadb";
  /** SQL naming the session that runs it. */
  readonly sessionName: string;
  readonly master: string;
  readonly replicas: readonly string[];
  /** Connection options of the node whose sessions are named `name`. */
  node(name: string): object;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
}

function serverRoles(type: "postgres" | "mariadb", database: string): ServerRoles {
  if (type === "postgres") {
    return {
      type,
      sessionName: "current_setting('application_name')",
      master: "routing-master",
      replicas: ["routing-replica-0", "routing-replica-1"],
      node: (applicationName) => ({ host: "127.0.0.1", port: 5432, username: "postgres", database, applicationName }),
      setUp: () => createDatabase(type, database),
      tearDown: () => dropDatabase(type, database),
    };
  }
  const [master, ...replicas] = ["m", "r0", "r1"].map((role) => `${database}_${role}`) as [string, ...string[]];
  const users = [master, ...replicas];
  return {
    type,
    sessionName: "SUBSTRING_INDEX(USER(), '@', 1)",
    master,
    replicas,
    node: (username) => ({ host: "127.0.0.1", port: 3306, username, database }),
    setUp: async () => {
      await createDatabase(type, database);
      await withAdmin(type, async (admin) => {
        for (const user of users) {
          await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
          await admin.query(`CREATE USER '${user}'@'%'`);
        }
        // Replicas are read-only, as a production replica's user is: a write routed there fails.
        await admin.query(`GRANT ALL ON \`${database}\`.* TO '${master}'@'%'`);
        for (const user of replicas) await admin.query(`GRANT SELECT ON \`${database}\`.* TO '${user}'@'%'`);
      });
    },
    tearDown: async () => {
      await dropDatabase(type, database);
      await withAdmin(type, async (admin) => {
        for (const user of users) await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
      });
    },
  };
}

const SECRET = "a test secret of at least thirty-two characters";

/** The entities of the test, for `roles`' server. */
function entitiesFor(roles: ServerRoles) {
  /** Who served the statement, as the server sees the session. */
  @ViewEntity({ name: "routing_served_by", expression: `SELECT ${roles.sessionName} AS name` })
  class ServedBy {
    @ViewColumn()
    name!: string;
  }

  @Entity({ name: "routing_note" })
  class Note {
    @PrimaryGeneratedColumn()
    id!: number;

    @Column({ type: "varchar", length: 100 })
    body!: string;

    /** Which session wrote the row, filled in by the server. */
    @Column({ type: "varchar", length: 100, default: () => `(${roles.sessionName})` })
    writtenBy!: string;
  }

  return { ServedBy, Note };
}

// A local const: narrowed inside the callbacks below, as the imported binding is not.
const serverType = testServer;

if (serverType)
  describe(`${serverType}: replica routing on a production replicated DataSource`, function () {
    this.timeout(30_000);
    const roles = serverRoles(serverType, `test_${serverEngine(serverType).database}_routing`);
    const { ServedBy, Note } = entitiesFor(roles);
    const [MASTER, REPLICAS] = [roles.master, roles.replicas];
    const productionOptions = {
      type: serverType,
      entities: [ServedBy, Note],
      synchronize: true,
      replication: { master: roles.node(MASTER), slaves: REPLICAS.map((name) => roles.node(name)) },
    } as DataSourceOptions;
    let dataSource: DataSource;
    let routing: ReplicaRouting;

    /** Who served each of `n` repository reads (`find`). */
    async function servers(n = 1): Promise<string[]> {
      const served: string[] = [];
      for (let i = 0; i < n; i++) served.push((await dataSource.getRepository(ServedBy).find())[0]!.name);
      return served;
    }

    before(async () => {
      await roles.setUp();
      dataSource = new DataSource(productionOptions);
      routing = installReplicaRouting(dataSource);
      await dataSource.initialize();
    });

    after(async () => {
      if (dataSource?.isInitialized) await dataSource.destroy();
      await roles.tearDown();
    });

    afterEach(() => {
      routing.select("round-robin");
      for (const index of routing.replicasDown) routing.markReplicaUp(index);
    });

    it("should send replica reads round-robin to the slaves, and writes to the master", async () => {
      expect(await servers(4)).to.deep.equal([...REPLICAS, ...REPLICAS]);
      const raw = await dataSource.createQueryBuilder(ServedBy, "s").select(roles.sessionName, "name").getRawOne<{ name: string }>();
      expect(raw!.name).to.be.oneOf(REPLICAS);
      const note = await dataSource.getRepository(Note).save({ body: "written" });
      const stored = await usePrimary(() => dataSource.getRepository(Note).findOneByOrFail({ id: note.id }));
      expect(stored.writtenBy).to.equal(MASTER);
      await dataSource.getRepository(Note).delete({ id: note.id });
    });

    it("should send every replica read to the master inside usePrimary, nested, concurrent and around transaction()", async () => {
      expect(await usePrimary(() => servers(3))).to.deep.equal([MASTER, MASTER, MASTER]);
      const [inScope, outOfScope] = await Promise.all([usePrimary(() => servers(4)), servers(4)]);
      expect(inScope).to.deep.equal([MASTER, MASTER, MASTER, MASTER]);
      expect(outOfScope.every((name) => REPLICAS.includes(name))).to.equal(true);
      const nested = await usePrimary(async () => [...(await usePrimary(() => servers())), ...(await servers())]);
      expect(nested).to.deep.equal([MASTER, MASTER]);
      const inTransaction = await usePrimary(() =>
        dataSource.transaction(async (manager) => {
          const note = await manager.getRepository(Note).save({ body: "in a transaction" });
          const [served] = await manager.getRepository(ServedBy).find();
          await manager.getRepository(Note).delete({ id: note.id });
          return [note.writtenBy, served!.name];
        }),
      );
      expect(inTransaction).to.deep.equal([MASTER, MASTER]);
    });

    it("should send the reads of @UsePrimary() methods to the master", async () => {
      class Reports {
        @UsePrimary()
        async servedBy(): Promise<string> {
          return (await dataSource.getRepository(ServedBy).find())[0]!.name;
        }
      }
      expect(await new Reports().servedBy()).to.equal(MASTER);
    });

    it("should choose replicas by the select strategy, skipping those marked down", async () => {
      routing.select("random");
      expect(new Set(await servers(30))).to.deep.equal(new Set(REPLICAS));
      routing.select((replicas) => replicas[replicas.length - 1]!);
      expect(await servers(3)).to.deep.equal([REPLICAS[1], REPLICAS[1], REPLICAS[1]]);
      routing.markReplicaDown(1);
      expect(await servers(2)).to.deep.equal([REPLICAS[0], REPLICAS[0]]);
      routing.markReplicaDown(0);
      expect(await servers(2)).to.deep.equal([MASTER, MASTER]);
      routing.markReplicaUp(1);
      expect(await servers(1)).to.deep.equal([REPLICAS[1]]);
    });

    it("should leave other DataSources to TypeORM's own routing: nothing global is patched", async () => {
      const other = await new DataSource({ ...productionOptions, synchronize: false }).initialize();
      try {
        expect(await usePrimary(async () => (await other.getRepository(ServedBy).find())[0]!.name)).to.be.oneOf(REPLICAS);
      } finally {
        await other.destroy();
      }
    });

    it("should be a no-op on a DataSource without replication: every read is the single database's", async () => {
      const single = new DataSource({ ...roles.node(MASTER), type: serverType, entities: [ServedBy] } as DataSourceOptions);
      expect(installReplicaRouting(single).replicaCount).to.equal(0);
      await single.initialize();
      try {
        const read = async () => (await single.getRepository(ServedBy).find())[0]!.name;
        expect([await read(), await usePrimary(read)]).to.deep.equal([MASTER, MASTER]);
      } finally {
        await single.destroy();
      }
    });

    describe("pinning over HTTP", () => {
      let server: Server;

      before(() => {
        const app = express();
        app.use(replicaPinning({ secret: SECRET }));
        app.get("/served-by", async (_req, res) => {
          res.json((await dataSource.getRepository(ServedBy).find())[0]!.name);
        });
        app.post("/notes", async (_req, res) => {
          const note = await dataSource.getRepository(Note).save({ body: "pinned" });
          const stored = await dataSource.getRepository(Note).findOneByOrFail({ id: note.id });
          const [served] = await dataSource.getRepository(ServedBy).find();
          await dataSource.getRepository(Note).delete({ id: note.id });
          res.json({ writtenBy: stored.writtenBy, readBy: served!.name });
        });
        server = app.listen(0, "127.0.0.1");
      });

      after(() => server.close());

      it("should read a write request's own write back from the master and pin its user agent", async () => {
        const response = await request(server).post("/notes").expect(200);
        expect(response.body).to.deep.equal({ writtenBy: MASTER, readBy: MASTER });
        const cookie = (response.headers["set-cookie"] as unknown as string[])[0]!.split(";")[0]!;
        expect((await request(server).get("/served-by").set("Cookie", cookie)).body).to.equal(MASTER);
        expect((await request(server).get("/served-by")).body).to.be.oneOf(REPLICAS);
      });

      it("should route 100 concurrent requests, half of them pinned, each by its own pin", async () => {
        const write = await request(server).post("/notes").expect(200);
        const cookie = (write.headers["set-cookie"] as unknown as string[])[0]!.split(";")[0]!;
        const pinned = Array.from({ length: 100 }, (_, i) => i % 2 === 0);
        const served = await Promise.all(
          pinned.map(async (isPinned) => {
            const call = request(server).get("/served-by");
            return (await (isPinned ? call.set("Cookie", cookie) : call).expect(200)).body as string;
          }),
        );
        for (const [i, isPinned] of pinned.entries()) {
          if (isPinned) expect(served[i], `request ${i}`).to.equal(MASTER);
          else expect(served[i], `request ${i}`).to.be.oneOf(REPLICAS);
        }
      });
    });
  });
