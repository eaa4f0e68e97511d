// Type-level tests: compiled by `tsc --noEmit -p .` (npm test's typecheck), never run. Each
// `@ts-expect-error` line must fail to compile, or the typecheck fails.
import type { EntityManager } from "typeorm";
import { TransactionalTestCase, TruncatingTestCase, useTransactionalTests as mochaUseTransactionalTests } from "../../src";
import { useTransactionalTests as jestUseTransactionalTests } from "../../src/jest";
import { useTransactionalTests as vitestUseTransactionalTests } from "../../src/vitest";
import { Author } from "../fixtures/blog-entities";

async function authorFixtures(manager: EntityManager) {
  return { alice: await manager.save(Author, { name: "alice" }) };
}

class TypedTest extends TransactionalTestCase<{ alice: Author }> {
  static setUpTestData = authorFixtures;

  async testReadsItsFixtures(): Promise<string> {
    // @ts-expect-error a typo in a fixture's name fails to compile
    void this.testData.alcie;
    return this.testData.alice.name;
  }
}

class UntypedTest extends TransactionalTestCase {
  static setUpTestData = authorFixtures;

  async testReadsItsFixtures(): Promise<void> {
    // @ts-expect-error without its type, testData is unknown: name the type to read it
    void this.testData.alice;
  }
}

class MismatchedTest extends TransactionalTestCase<{ bob: Author }> {
  static setUpTestData = authorFixtures;
}

class TypedTruncatingTest extends TruncatingTestCase<{ alice: Author }> {
  static setUpTestData = authorFixtures;

  async testReadsItsFixtures(): Promise<void> {
    // @ts-expect-error the same for TruncatingTestCase
    void this.testData.alcie;
  }
}

/** Never called: its statements are only type-checked. */
export function typeChecks(): void {
  TypedTest.register();
  UntypedTest.register();
  TypedTruncatingTest.register();
  // @ts-expect-error setUpTestData must return what the class says its tests see
  MismatchedTest.register();

  // The Jest and Vitest adapters have the mocha one's signature and return value, both ways.
  const fromJest: typeof mochaUseTransactionalTests = jestUseTransactionalTests;
  const fromVitest: typeof mochaUseTransactionalTests = vitestUseTransactionalTests;
  const toJest: typeof jestUseTransactionalTests = mochaUseTransactionalTests;
  const toVitest: typeof vitestUseTransactionalTests = mochaUseTransactionalTests;
  void [fromJest, fromVitest, toJest, toVitest];
}
