import type * as JestGlobals from "@jest/globals";
import { SharedReplicationError } from "../errors/shared-replication-error";

/**
 * Jest's hooks and `expect`, as `@jest/globals` gives them to the file that calls: Jest hands that
 * module to every file it loads, so it is loaded at the call, not with this package (loading it
 * outside Jest throws).
 */
export function jestGlobals(caller: string): typeof JestGlobals {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@jest/globals") as typeof JestGlobals;
  } catch (error) {
    throw new SharedReplicationError(
      `${caller} from typeorm-shared-replication/jest must be called while Jest loads a test file or a "setupFilesAfterEnv" file ` +
        `(${error instanceof Error ? error.message : String(error)}). With another test runner, import its own adapter.`,
    );
  }
}
