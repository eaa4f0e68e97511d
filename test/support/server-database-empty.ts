// A mocha global teardown (loaded with --require from .mocharc.json): after a server leg, the test
// database's tables must be empty. Nothing a test did may have been committed.
import { createTestDataSource, serverEngine, testServer } from "../../ormconfig.test";

const TABLES_SQL = {
  postgres: "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
  mariadb: "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
};

async function committedRows(server: "postgres" | "mariadb"): Promise<string> {
  const dataSource = createTestDataSource({ engine: { ...serverEngine(server), keepDatabase: true }, schema: "none" }, { entities: [] });
  await dataSource.initialize();
  try {
    const tables = ((await dataSource.query(TABLES_SQL[server])) as { name: string }[]).map((row) => row.name);
    if (tables.length === 0) return `the ${server} test database has no tables: the suite did not run against it`;
    const left: string[] = [];
    for (const table of tables) {
      const [row] = (await dataSource.query(`SELECT count(*) AS n FROM ${dataSource.driver.escape(table)}`)) as { n: string | number }[];
      if (Number(row!.n) > 0) left.push(`${table}: ${row!.n}`);
    }
    if (left.length > 0) return `rows were committed to the ${server} test database: ${left.join(", ")}`;
    process.stdout.write(`\n${server} test database after the run: ${tables.length} tables, all empty.\n`);
    return "";
  } finally {
    await dataSource.destroy();
  }
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (!testServer) return;
  // Mocha exits 0 when a global teardown throws, so report and fail the process here instead.
  const problem = await committedRows(testServer).catch((error: unknown) => `the check itself failed: ${String(error)}`);
  if (!problem) return;
  process.stderr.write(`\nERROR: ${problem}\n`);
  process.exit(1);
}
