import { SharedReplicationError } from "./shared-replication-error";

/** Something a test left behind on the shared connection. */
export interface TestLeak {
  /** `"runner"`: a query runner never released; `"transaction"`: a transaction never committed or rolled back. */
  readonly kind: "runner" | "transaction";
  readonly runnerId: number;
  /** Human-readable: runner id, role and replica. */
  readonly runner: string;
  /** Stack trace of where the runner was created. */
  readonly creationSite: string;
}

/**
 * Fails a test that left a query runner unreleased or an application transaction open. The
 * connection has already been restored when it is thrown, so the next test starts clean. Release
 * runners you create (`await runner.release()` in a `finally`), and end every transaction you
 * start.
 */
export class TestLeakError extends SharedReplicationError {
  readonly leaks: readonly TestLeak[];
  /** The leaking test's title, when the test-framework adapter knows it. */
  readonly testTitle: string | undefined;

  constructor(leaks: readonly TestLeak[], testTitle?: string) {
    const lines = leaks.map(
      (leak) =>
        `- ${leak.kind === "runner" ? "unreleased" : "transaction still open on"} ${leak.runner}, created at:\n${indent(leak.creationSite)}`,
    );
    super(
      `The test${testTitle === undefined ? "" : ` "${testTitle}"`} left ${leaks.length} thing(s) behind on the shared connection (rolled back now, the next test starts clean):\n` +
        `${lines.join("\n")}\nRelease every query runner you create and commit or roll back every transaction you start.`,
    );
    this.leaks = leaks;
    this.testTitle = testTitle;
  }
}

function indent(stack: string): string {
  return stack
    .split("\n")
    .map((line) => `    ${line.trim()}`)
    .join("\n");
}
