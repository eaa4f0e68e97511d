// Read-your-writes across requests: after a browser writes, its next requests read from the
// primary (a signed pin cookie), and every other browser keeps reading from replicas.
import { expect } from "chai";
import type { Server } from "node:http";
import request from "supertest";
import { assertQueries, useTransactionalTests } from "typeorm-shared-replication";
import { createApp } from "../src/http/create-app";
import { testDataSource } from "./bootstrap";
import { shopFixtures } from "./support/shop-fixtures";

describe("replica pinning", () => {
  const tests = useTransactionalTests(testDataSource, { setUpTestData: shopFixtures });
  let server: Server;

  before((done) => {
    server = createApp(testDataSource).listen(0, done);
  });
  after((done) => {
    server.close(done);
  });

  /** The pin cookie a write of alice's browser gets, as the browser sends it back. */
  async function pinAfterWrite(): Promise<string> {
    const { alice } = tests.testData;
    const response = await request(server).put(`/customers/${alice.id}/preferences`).send({ language: "de" }).expect(200);
    const [cookie] = response.headers["set-cookie"] as unknown as string[];
    expect(cookie).to.match(/^primary_pin=\d+\.[\w-]{43}; Max-Age=15; Path=\/; HttpOnly; SameSite=Lax$/);
    return cookie!.split(";")[0]!;
  }

  it("should serve a pinned browser's reads from the primary, and other browsers' from replicas", async () => {
    const { alice } = tests.testData;
    const pin = await pinAfterWrite();
    const pinned = await assertQueries(testDataSource, { master: 1, slave: 0 }, () =>
      request(server).get(`/customers/${alice.id}`).set("Cookie", pin).expect(200),
    );
    expect(pinned.body.preferences).to.deep.equal({ language: "de" });
    await assertQueries(testDataSource, { master: 0, slave: 1 }, () => request(server).get(`/customers/${alice.id}`).expect(200));
  });

  it("should serve a forged pin from replicas, not refuse it", async () => {
    const { alice } = tests.testData;
    const [name, value] = (await pinAfterWrite()).split("=") as [string, string];
    const [expiry, signature] = value.split(".") as [string, string];
    const forged = `${name}=${Number(expiry) + 3_600_000}.${signature}`;
    await assertQueries(testDataSource, { master: 0, slave: 1 }, () =>
      request(server).get(`/customers/${alice.id}`).set("Cookie", forged).expect(200),
    );
  });

  it("should route 100 concurrent reads, half of them pinned, each by its own pin", async () => {
    const { alice, bob } = tests.testData;
    const pin = await pinAfterWrite();
    // Pinned requests read alice, the others bob: each statement's parameters tell whose request sent it.
    const { queries } = await testDataSource.queryLog.capture(() =>
      Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          i % 2 === 0
            ? request(server).get(`/customers/${alice.id}`).set("Cookie", pin).expect(200)
            : request(server).get(`/customers/${bob.id}`).expect(200),
        ),
      ),
    );
    const reads = queries.filter((query) => query.kind === "data" && !query.internal);
    const of = (id: string) => reads.filter((query) => (query.parameters ?? []).includes(id));
    expect(of(alice.id).map((query) => query.role)).to.deep.equal(Array(50).fill("master"));
    expect(of(bob.id).map((query) => query.role)).to.deep.equal(Array(50).fill("slave"));
    expect(of(bob.id).every((query) => query.replicaIndex !== undefined)).to.equal(true);
  });
});
