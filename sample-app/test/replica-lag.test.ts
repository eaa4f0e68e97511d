// Replica lag: replicas that show the primary's commits only once synced. The shared mode of the
// other tests makes every read see every write at once; here replicas lag, to prove the shop reads
// its own writes where it must, and to show where it does not.
import { expect } from "chai";
import type { Server } from "node:http";
import request from "supertest";
import { SharedReplicationDataSource, useTransactionalTests } from "typeorm-shared-replication";
import { productionOptions } from "../src/data-source";
import { createApp } from "../src/http/create-app";
import { shopFixtures } from "./support/shop-fixtures";

// A DataSource of its own, on an in-memory SQLite engine (lag needs one): each replica a copy
// that shows the primary's commits only once dataSource.syncReplicas() carries them over.
const laggingDataSource = new SharedReplicationDataSource(productionOptions, { replicaLag: "manual" });

describe("replica lag", () => {
  // Initializes laggingDataSource before the group, and destroys it after.
  const tests = useTransactionalTests(laggingDataSource, { setUpTestData: shopFixtures });
  let server: Server;
  let unpinned: Server;

  before((done) => {
    server = createApp(laggingDataSource).listen(0, done);
  });
  before((done) => {
    unpinned = createApp(laggingDataSource, { pinning: false }).listen(0, done);
  });
  after((done) => {
    server.close(done);
  });
  after((done) => {
    unpinned.close(done);
  });

  it("should return the old name from an endpoint that reads its write back through a replica, without pinning", async () => {
    const { alice } = tests.testData;
    const { body } = await request(unpinned).put(`/customers/${alice.id}/name`).send({ name: "Alice Liddell" }).expect(200);
    expect(body.name).to.equal(alice.name); // the stale read production would give

    await laggingDataSource.syncReplicas();
    const { body: synced } = await request(unpinned).get(`/customers/${alice.id}`).expect(200);
    expect(synced.name).to.equal("Alice Liddell");
  });

  it("should return the new name from the same endpoint with pinning: the request wrote, so its reads go to the primary", async () => {
    const { alice } = tests.testData;
    const { body } = await request(server).put(`/customers/${alice.id}/name`).send({ name: "Alice Liddell" }).expect(200);
    expect(body.name).to.equal("Alice Liddell");
  });

  it("should return fresh data from the endpoint that reads its own write from the primary, even without pinning", async () => {
    const { alice } = tests.testData;
    const { body } = await request(unpinned).put(`/customers/${alice.id}/preferences`).send({ language: "de" }).expect(200);
    expect(body.preferences).to.deep.equal({ language: "de" });
  });

  it("should read a browser's own write on its next request with the pin cookie, and not without", async () => {
    const { alice } = tests.testData;
    const written = await request(server).put(`/customers/${alice.id}/preferences`).send({ language: "fr" }).expect(200);
    const [pin] = (written.headers["set-cookie"] as unknown as string[])[0]!.split(";");

    const pinned = await request(server).get(`/customers/${alice.id}`).set("Cookie", pin!).expect(200);
    expect(pinned.body.preferences).to.deep.equal({ language: "fr" });

    // Without the cookie (or without the middleware), the read goes to a replica that has not caught up.
    const stale = await request(server).get(`/customers/${alice.id}`).expect(200);
    expect(stale.body.preferences).to.deep.equal(alice.preferences);
    const withoutPinning = await request(unpinned).get(`/customers/${alice.id}`).expect(200);
    expect(withoutPinning.body.preferences).to.deep.equal(alice.preferences);
  });
});
