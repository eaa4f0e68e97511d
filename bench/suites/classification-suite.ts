import { quantile } from "../harness/statistics";
import type { ClassificationCounts } from "../run-plan";
import { classifyStatement, classifyStatementUncached } from "../../src/sql/statement-classifier";
import { sharedDataSource } from "../workload/bench-data-sources";
import { loadFixtures } from "../workload/fixtures";
import { BODIES } from "../workload/test-bodies";

/** Microseconds per classified statement over the rounds of one way of classifying. */
export interface MicrosPerStatement {
  readonly median: number;
  readonly p95: number;
}

/** What the replica guard's statement classification costs per statement, on the statements a realistic test sends. */
export interface ClassificationCost {
  /** Statements in the mix, how many distinct texts, and their mean length in characters. */
  readonly statements: number;
  readonly distinct: number;
  readonly meanLength: number;
  /** Every classification tokenizes the statement (what a statement costs the first time). */
  readonly cold: MicrosPerStatement;
  /** Through the cache by SQL text (what every later time costs). */
  readonly warm: MicrosPerStatement;
}

/** The statements the realistic body sends, as the library's executor classifies them (the application is Postgres). */
async function statementMix(fixtureRows: number): Promise<string[]> {
  const dataSource = sharedDataSource("sqlite", undefined);
  await dataSource.initialize();
  try {
    const fixtures = await loadFixtures(dataSource.manager, fixtureRows);
    const body = BODIES.find((candidate) => candidate.key === "realistic")!;
    const { queries } = await dataSource.queryLog.capture(() => body.run(dataSource, fixtures, 0));
    return queries.filter((query) => !query.internal).map((query) => query.sql);
  } finally {
    await dataSource.destroy();
  }
}

function timePerStatement(statements: readonly string[], repetitions: number, classify: (sql: string) => unknown): number {
  const started = process.hrtime.bigint();
  for (let r = 0; r < repetitions; r++) for (const sql of statements) classify(sql);
  return Number(process.hrtime.bigint() - started) / 1_000 / (repetitions * statements.length);
}

function summary(samples: number[]): MicrosPerStatement {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
}

/**
 * Classifies the realistic body's statements, cold (`classifyStatementUncached`: tokenized every
 * time) and warm (`classifyStatement`, cached by SQL text), in alternating rounds on the main
 * thread: no I/O, so the times are the classifier's own.
 */
export async function runClassificationSuite(counts: ClassificationCounts, fixtureRows: number): Promise<ClassificationCost> {
  const statements = await statementMix(fixtureRows);
  const cold: number[] = [];
  const warm: number[] = [];
  for (const sql of statements) classifyStatement(sql, "postgres", true);
  for (let round = 0; round < counts.rounds; round++) {
    cold.push(timePerStatement(statements, counts.repetitions, (sql) => classifyStatementUncached(sql, "postgres", true)));
    warm.push(timePerStatement(statements, counts.repetitions, (sql) => classifyStatement(sql, "postgres", true)));
  }
  return {
    statements: statements.length,
    distinct: new Set(statements).size,
    meanLength: statements.reduce((sum, sql) => sum + sql.length, 0) / Math.max(statements.length, 1),
    cold: summary(cold),
    warm: summary(warm),
  };
}
