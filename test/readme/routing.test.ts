// #region routing-tests
import { expect } from "chai";
import { createServer } from "node:http";
import request from "supertest";
import { assertQueries, useTransactionalTests } from "../../src";
import { User } from "./app";
import { AccountService, setUpRouting } from "./routing";
import { testDataSource } from "./test-data-source";

describe("routing in production, proven in tests", () => {
  useTransactionalTests(testDataSource);
  const accounts = new AccountService(testDataSource);
  const pinning = setUpRouting(testDataSource, "a test secret of at least thirty-two characters");

  it("should read a rename back from the primary", async () => {
    const { id } = await testDataSource.getRepository(User).save({ name: "ada" });
    await assertQueries(testDataSource, { master: 2, slave: 0 }, () => accounts.rename(id, "ada l."));
    await assertQueries(testDataSource, { master: 1, slave: 0 }, () => accounts.reload(id));
    await assertQueries(testDataSource, { master: 2, slave: 0 }, () => accounts.renameJob({ id, name: "ada" }));
  });

  it("should pin a user agent that wrote to the primary", async () => {
    const { id } = await testDataSource.getRepository(User).save({ name: "grace" });
    // Any connect-style server will do; here, node:http.
    const server = createServer((req, res) =>
      pinning(req, res, async () => {
        if (req.method === "POST") await testDataSource.getRepository(User).update(id, { name: "grace h." });
        res.end(JSON.stringify(await testDataSource.getRepository(User).findOneByOrFail({ id })));
      }),
    );
    const write = await request(server).post("/").expect(200);
    const pin = write.headers["set-cookie"]![0]!.split(";")[0]!;
    expect(pin).to.match(/^primary_pin=\d+\.[\w-]{43}$/); // an expiry and its signature, no user data
    await assertQueries(testDataSource, { master: 1, slave: 0 }, () => request(server).get("/").set("Cookie", pin).expect(200));
    await assertQueries(testDataSource, { master: 0, slave: 1 }, () => request(server).get("/").expect(200));
  });
});
// #endregion routing-tests

describe("routing in production: the setup", () => {
  it("should refuse a short pin secret", () => {
    expect(() => setUpRouting(testDataSource, "short")).to.throw(/at least 32 characters/);
  });
});
