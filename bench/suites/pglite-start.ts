// Run in a process of its own by the PGlite suite (a new process has no PGlite yet): the time from
// `new SharedReplicationDataSource(...)` to the first test's first statement, on PGlite with the
// snapshot directory given as the first argument ("none": no snapshots). Prints it as JSON.
import "reflect-metadata";
import { SharedReplicationDataSource } from "../../src";
import { productionOptions } from "../workload/bench-data-sources";

async function main(): Promise<void> {
  const directory = process.argv[2]!;
  const started = performance.now();
  const dataSource = new SharedReplicationDataSource(productionOptions, {
    engine: { type: "pglite", cacheDirectory: directory === "none" ? false : directory },
  });
  await dataSource.initialize();
  await dataSource.query("SELECT 1");
  const ms = performance.now() - started;
  await dataSource.destroy();
  process.stdout.write(`${JSON.stringify({ ms })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
