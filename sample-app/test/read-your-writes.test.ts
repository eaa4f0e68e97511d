// Read-your-writes: the endpoint that reads its own write back must read it from the primary. The
// replicas share the primary's connection here, so a replica read would find the write too; the
// role assertions are what catch a read that production would send to a lagging replica.
// #region read-your-writes
import { expect } from "chai";
import request from "supertest";
import { assertQueries, useTransactionalTests } from "typeorm-shared-replication";
import { createApp } from "../src/http/create-app";
import { testDataSource } from "./bootstrap";
import { shopFixtures } from "./support/shop-fixtures";

describe("read-your-writes", () => {
  const tests = useTransactionalTests(testDataSource, { setUpTestData: shopFixtures });
  const app = createApp(testDataSource);

  it("should read its own write back from the primary, not from a lagging replica", async () => {
    const { alice } = tests.testData;
    const { body } = await assertQueries(testDataSource, { master: 2, slave: 0 }, () =>
      request(app).put(`/customers/${alice.id}/preferences`).send({ newsletter: false, language: "de" }).expect(200),
    );
    expect(body.preferences).to.deep.equal({ newsletter: false, language: "de" });
    expect(new Date(body.updatedAt).getTime()).to.be.at.least(new Date(alice.updatedAt).getTime());
  });

  it("should show the write to replicas at once: they share the primary's connection", async () => {
    const { alice } = tests.testData;
    await request(app).put(`/customers/${alice.id}/preferences`).send({ language: "fr" }).expect(200);
    const { body } = await assertQueries(testDataSource, { master: 0, slave: 1 }, () =>
      request(app).get(`/customers/${alice.id}`).expect(200),
    );
    expect(body.preferences).to.deep.equal({ language: "fr" });
  });
});
// #endregion read-your-writes
