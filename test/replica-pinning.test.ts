import { expect } from "chai";
import http, { type Server } from "node:http";
import request from "supertest";
import { createTestDataSource } from "../ormconfig.test";
import {
  InvalidRoutingOptionError,
  markWrite,
  replicaPinning,
  withReplicaPinning,
  type ReplicaPinningOptions,
  type SharedReplicationDataSource,
} from "../src";
import { Author } from "./fixtures/blog-entities";
import { rejectionOf, sleep } from "./support/capture-error";
import { express } from "./support/express";
import { servedByMarker } from "./support/routing";

const SECRET = "a test secret of at least thirty-two characters";
const PIN = /^primary_pin=(\d+)\.[A-Za-z0-9_-]{43}; Max-Age=15; Path=\/; HttpOnly; SameSite=Lax$/;

describe("replica pinning (read-your-writes)", () => {
  let dataSource: SharedReplicationDataSource;
  let server: Server;

  /** An Express app whose every route reads an author named after its marker, and reports who served it. */
  function createApp(options: Partial<ReplicaPinningOptions> = {}): Server {
    const authors = dataSource.getRepository(Author);
    const app = express();
    app.use(replicaPinning({ secret: SECRET, ...options }));
    const read = async (marker: string) => {
      await authors.findOneBy({ name: marker });
      return servedByMarker(dataSource, marker);
    };
    app.get("/read/:marker", async (req, res) => {
      await sleep(Number(req.params.marker!.replace(/\D/g, "")) % 5);
      res.json(await read(req.params.marker!));
    });
    app.post("/write/:marker", async (req, res) => {
      const before = await read(`${req.params.marker}-before`);
      await authors.insert({ name: req.params.marker! });
      res.json([...before, ...(await read(`${req.params.marker}-after`))]);
    });
    app.post("/search/:marker", async (req, res) => res.json(await read(req.params.marker!)));
    app.get("/write-in-get/:marker", async (req, res) => {
      const before = await read(`${req.params.marker}-before`);
      await authors.update({ name: "nobody" }, { name: "still nobody" });
      res.json([...before, ...(await read(`${req.params.marker}-after`))]);
    });
    app.get("/mark-write/:marker", async (req, res) => {
      markWrite();
      res.json(await read(req.params.marker!));
    });
    return (server = app.listen(0, "127.0.0.1"));
  }

  async function pinCookie(app: Server): Promise<string> {
    const response = await request(app).post("/write/pinner").expect(200);
    const [cookie] = response.headers["set-cookie"] as unknown as string[];
    expect(cookie).to.match(PIN);
    return cookie!.split(";")[0]!;
  }

  beforeEach(async () => {
    dataSource = createTestDataSource();
    await dataSource.initialize();
  });

  afterEach(async () => {
    server?.close();
    if (dataSource.isInitialized) await dataSource.destroy();
  });

  it("should read from replicas and set no pin on a read request without a pin", async () => {
    const response = await request(createApp()).get("/read/plain").expect(200);
    expect(response.body)
      .to.have.length(1)
      .and.satisfy((s: string[]) => /^replica \d$/.test(s[0]!));
    expect(response.headers["set-cookie"]).to.equal(undefined);
  });

  it("should send every read of a write request to the primary and pin its user agent for 15 seconds", async () => {
    const response = await request(createApp()).post("/write/w1").expect(200);
    expect(response.body).to.deep.equal(["master", "master"]);
    const [cookie] = response.headers["set-cookie"] as unknown as string[];
    const expiry = Number(PIN.exec(cookie!)?.[1]);
    expect(expiry - Date.now()).to.be.within(14_000, 15_000);
  });

  it("should read from the primary with a valid pin, without renewing it", async () => {
    const app = createApp();
    const cookie = await pinCookie(app);
    const response = await request(app).get("/read/pinned").set("Cookie", `theme=dark; ${cookie}`).expect(200);
    expect(response.body).to.deep.equal(["master"]);
    expect(response.headers["set-cookie"]).to.equal(undefined);
  });

  it("should treat a forged, malformed or misnamed pin as none, never as an error", async () => {
    const app = createApp();
    const cookie = await pinCookie(app);
    const [name, value] = cookie.split("=") as [string, string];
    const [expiry, mac] = value.split(".") as [string, string];
    const forged = [
      `${name}=${Number(expiry) + 60_000}.${mac}`,
      `${name}=${expiry}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`,
      `${name}=${expiry}`,
      `${name}=`,
      `${name}=${"9".repeat(16)}.${mac}`,
      `${name}=%E0%A4%A`,
      `${name}=${value}.${mac}`,
      `other_pin=${value}`,
      `${name}`,
    ];
    for (const [i, header] of forged.entries()) {
      const response = await request(app).get(`/read/forged${i}`).set("Cookie", header).expect(200);
      expect(response.body, header)
        .to.have.length(1)
        .and.satisfy((s: string[]) => /^replica \d$/.test(s[0]!));
    }
  });

  it("should stop pinning when the pin expires", async () => {
    const app = createApp({ seconds: 0.2 });
    const response = await request(app).post("/write/short").expect(200);
    const cookie = (response.headers["set-cookie"] as unknown as string[])[0]!;
    expect(cookie).to.include("Max-Age=1;");
    expect((await request(app).get("/read/soon").set("Cookie", cookie.split(";")[0]!)).body).to.deep.equal(["master"]);
    await sleep(250);
    expect((await request(app).get("/read/later").set("Cookie", cookie.split(";")[0]!)).body[0]).to.match(/^replica \d$/);
  });

  it("should pin a read request in which a write statement reached the master, from that write on", async () => {
    const response = await request(createApp()).get("/write-in-get/wig").expect(200);
    expect(response.body[0]).to.match(/^replica \d$/);
    expect(response.body[1]).to.equal("master");
    expect((response.headers["set-cookie"] as unknown as string[])[0]).to.match(PIN);
  });

  it("should pin a read request that calls markWrite()", async () => {
    const response = await request(createApp()).get("/mark-write/mw").expect(200);
    expect(response.body).to.deep.equal(["master"]);
    expect((response.headers["set-cookie"] as unknown as string[])[0]).to.match(PIN);
  });

  it("should let isWrite exempt a write method that does not write", async () => {
    const response = await request(createApp({ isWrite: () => false, cookieName: "shop_pin" }))
      .post("/search/s1")
      .expect(200);
    expect(response.body[0]).to.match(/^replica \d$/);
    expect(response.headers["set-cookie"]).to.equal(undefined);
    const write = await request(server).post("/write/s2").expect(200);
    expect((write.headers["set-cookie"] as unknown as string[])[0]).to.match(/^shop_pin=/);
  });

  it("should route 100 concurrent requests, half of them pinned, each by its own pin", async function () {
    this.timeout(30_000);
    const app = createApp();
    const cookie = await pinCookie(app);
    const requests = Array.from({ length: 100 }, (_, i) => ({ marker: `concurrent${i}`, pinned: i % 2 === 0 }));
    const responses = await Promise.all(
      requests.map(({ marker, pinned }) => {
        const call = request(app).get(`/read/${marker}`);
        return (pinned ? call.set("Cookie", cookie) : call).expect(200);
      }),
    );
    for (const [i, { marker, pinned }] of requests.entries()) {
      expect(responses[i]!.body, marker).to.have.length(1);
      expect(responses[i]!.body[0], marker).to.match(pinned ? /^master$/ : /^replica \d$/);
    }
  });

  it("should add the pin to cookies the handler gives writeHead itself (as Fastify does), and keep theirs", async () => {
    const middleware = replicaPinning({ secret: SECRET });
    server = http
      .createServer((req, res) =>
        middleware(req, res, () => {
          res.writeHead(201, { "Set-Cookie": "session=abc; Path=/" });
          res.end("ok");
        }),
      )
      .listen(0, "127.0.0.1");
    const cookies = (await request(server).post("/anything").expect(201)).headers["set-cookie"] as unknown as string[];
    expect(cookies).to.have.length(2);
    expect(cookies[0]).to.equal("session=abc; Path=/");
    expect(cookies[1]).to.match(PIN);
  });

  it("should refuse unusable options with InvalidRoutingOptionError", () => {
    for (const options of [
      { secret: "short" },
      { secret: undefined as unknown as string },
      { secret: new Uint8Array(8) },
      { secret: SECRET, seconds: 0 },
      { secret: SECRET, seconds: -5 },
      { secret: SECRET, seconds: Number.NaN },
      { secret: SECRET, cookieName: "pin; Path=/" },
      { secret: SECRET, cookieName: "" },
    ]) {
      expect(() => replicaPinning(options), JSON.stringify(options)).to.throw(InvalidRoutingOptionError);
    }
    // The secret itself stays out of the error, which may be logged.
    const error = (() => {
      try {
        replicaPinning({ secret: "too-short-but-secret" });
      } catch (caught) {
        return caught as InvalidRoutingOptionError;
      }
    })();
    expect(error?.message).to.include("at least 32 characters").and.not.include("too-short-but-secret");
    expect(error?.value).to.equal("a secret of 20 characters");
  });

  describe("without HTTP: withReplicaPinning", () => {
    async function served(marker: string): Promise<string[]> {
      await dataSource.getRepository(Author).findOneBy({ name: marker });
      return servedByMarker(dataSource, marker);
    }

    it("should read from replicas until the scope writes, then from the primary", async () => {
      const result = await withReplicaPinning(async (scope) => {
        const before = await served("job-before");
        expect(scope.readsFromPrimary).to.equal(false);
        await dataSource.getRepository(Author).insert({ name: "job" });
        expect(scope).to.include({ wrote: true, readsFromPrimary: true });
        return [...before, ...(await served("job-after"))];
      });
      expect(result[0]).to.match(/^replica \d$/);
      expect(result[1]).to.equal("master");
    });

    it("should read from the primary until pinnedUntil, and from replicas after it", async () => {
      expect(await withReplicaPinning(() => served("pinned-job"), { pinnedUntil: Date.now() + 5_000 })).to.deep.equal(["master"]);
      expect((await withReplicaPinning(() => served("expired-job"), { pinnedUntil: Date.now() - 1 }))[0]).to.match(/^replica \d$/);
      expect(() => withReplicaPinning(() => undefined, { pinnedUntil: Number.NaN })).to.throw(InvalidRoutingOptionError);
    });

    it("should pin the enclosing scope when a nested one writes, and do nothing outside every scope", async () => {
      const outer = await withReplicaPinning(async () => {
        await withReplicaPinning(() => markWrite());
        return served("outer-after-inner-write");
      });
      expect(outer).to.deep.equal(["master"]);
      expect(markWrite()).to.equal(false);
      expect((await served("no-scope"))[0]).to.match(/^replica \d$/);
    });

    it("should not count reads or transaction control on the master as writes", async () => {
      const wrote = await withReplicaPinning(async (scope) => {
        await dataSource.query("SELECT 1 AS one");
        await dataSource.transaction((manager) => manager.getRepository(Author).count());
        return scope.wrote;
      });
      expect(wrote).to.equal(false);
      expect(await rejectionOf(withReplicaPinning(() => Promise.reject(new Error("job failed"))))).to.have.property(
        "message",
        "job failed",
      );
    });
  });
});
