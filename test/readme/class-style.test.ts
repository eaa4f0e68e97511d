// #region class-style
import { expect } from "chai";
import type { EntityManager } from "typeorm";
import { TransactionalTestCase } from "../../src";
import { User, UserService } from "./app";
import { testDataSource } from "./test-data-source";

// The type argument is what setUpTestData returns: a typo in this.testData fails to compile.
class UserServiceTest extends TransactionalTestCase<{ alice: User }> {
  static override dataSource = testDataSource;

  static async setUpTestData(manager: EntityManager) {
    return { alice: await manager.save(manager.create(User, { name: "alice" })) };
  }

  async testRenamesAndReadsBackThroughAReplica() {
    const service = new UserService(this.dataSource);
    const renamed = await this.assertQueries({ master: 1, slave: 1 }, () => service.rename(this.testData.alice.id, "bob"));
    expect(renamed.name).to.equal("bob");
  }

  async testFindsAliceUntouched() {
    expect(await this.dataSource.getRepository(User).findOneByOrFail({ name: "alice" })).to.be.instanceOf(User);
  }
}
UserServiceTest.register();
// #endregion class-style
