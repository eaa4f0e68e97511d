import type { SharedReplicationSettings } from "../../src";
import type { BenchEngine, PostgresServer } from "../workload/bench-data-sources";
import type { TestBody } from "../workload/test-bodies";

/** Where and with how many fixture rows a strategy runs. */
export interface StrategyOptions {
  readonly engine: BenchEngine;
  /** The server of the `postgres` engine. */
  readonly server?: PostgresServer;
  /** Fixture rows, spread over the 20 tables. */
  readonly fixtureRows: number;
  /** Settings of the library's DataSource (strategies that use it). */
  readonly settings?: SharedReplicationSettings;
}

/**
 * One way to isolate tests from each other. A group is what a test file or class is: set up once
 * (not timed); `runTest` is one test with everything the strategy does around its body (timed).
 */
export interface Strategy {
  beginGroup(): Promise<void>;
  runTest(body: TestBody): Promise<void>;
  endGroup(): Promise<void>;
}

/** A strategy as the results list it. */
export interface StrategyDefinition {
  /** "1" … "6", as the issue numbers them. */
  readonly id: string;
  readonly name: string;
  /** A few words, for the chart. */
  readonly shortName: string;
  create(options: StrategyOptions): Strategy;
}
