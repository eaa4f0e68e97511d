import type { Summary } from "../harness/statistics";
import { find, type StrategyMeasurement } from "../suites/strategy-suite";

/** A table: header and rows of cells; rendered as text for the console and as Markdown for RESULTS.md. */
export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns aligned right (numbers). */
  readonly numeric: ReadonlySet<number>;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (value < 1) return `${value.toFixed(3)} ms`;
  if (value < 10) return `${value.toFixed(2)} ms`;
  return `${value.toFixed(1)} ms`;
}

/** Microseconds, for what costs less than a millisecond by far. */
export function micros(value: number): string {
  if (!Number.isFinite(value)) return "—";
  return value < 10 ? `${value.toFixed(2)} µs` : `${value.toFixed(1)} µs`;
}

export function times(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : "—";
}

export function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/**
 * Median and p95 per test of each strategy with each body, and the ratio of medians against
 * strategy 1 with the same body; the bare driver reference last.
 */
export function strategyTable(measurements: readonly StrategyMeasurement[]): Table {
  const bodyKeys = [...new Set(measurements.flatMap((m) => (m.body ? [m.body.key] : [])))];
  const ordered = [...bodyKeys.flatMap((key) => measurements.filter((m) => m.body?.key === key)), ...measurements.filter((m) => !m.body)];
  const rows = ordered.map((m) => {
    const baseline = m.body ? find(measurements, "1", m.body.key) : undefined;
    return [
      m.strategy.id,
      m.strategy.name,
      m.body?.title ?? "—",
      ms(m.summary.median),
      ms(m.summary.p95),
      baseline ? times(m.summary.median / baseline.median) : "—",
      String(m.statements),
      String(m.summary.iterations),
    ];
  });
  return {
    header: ["#", "strategy", "test body", "median", "p95", "vs 1", "statements", "tests"],
    rows,
    numeric: new Set([3, 4, 5, 6, 7]),
  };
}

/** Each measurement against one of them (`baseline`): median, p95, ratio of medians, statements per test. */
export function relativeTable(measurements: readonly StrategyMeasurement[], baseline: StrategyMeasurement, baselineName: string): Table {
  return {
    header: ["#", "strategy", "test body", "median", "p95", `vs ${baselineName}`, "statements", "tests"],
    rows: measurements.map((m) => [
      m.strategy.id,
      m.strategy.name,
      m.body?.title ?? "—",
      ms(m.summary.median),
      ms(m.summary.p95),
      times(m.summary.median / baseline.summary.median),
      String(m.statements),
      String(m.summary.iterations),
    ]),
    numeric: new Set([3, 4, 5, 6, 7]),
  };
}

export function comparisonTable(
  header: readonly [string, string, string],
  rows: readonly { label: string; a: Summary; b: Summary }[],
): Table {
  return {
    header: ["", `${header[0]} median`, `${header[0]} p95`, `${header[1]} median`, `${header[1]} p95`, header[2], "iterations each"],
    rows: rows.map(({ label, a, b }) => [
      label,
      ms(a.median),
      ms(a.p95),
      ms(b.median),
      ms(b.p95),
      `${b.median / a.median >= 1 ? "+" : ""}${((b.median / a.median - 1) * 100).toFixed(1)}%`,
      String(a.iterations),
    ]),
    numeric: new Set([1, 2, 3, 4, 5, 6]),
  };
}

export function renderText(table: Table): string {
  const widths = table.header.map((cell, i) => Math.max(cell.length, ...table.rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (table.numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(table.header), widths.map((w) => "-".repeat(w)).join("  "), ...table.rows.map(line)].join("\n");
}

export function renderMarkdown(table: Table): string {
  const escape = (cell: string) => cell.replace(/\|/g, "\\|");
  const line = (cells: readonly string[]) => `| ${cells.map(escape).join(" | ")} |`;
  const rule = table.header.map((_, i) => (table.numeric.has(i) ? "---:" : "---"));
  return [line(table.header), `|${rule.join("|")}|`, ...table.rows.map(line)].join("\n");
}
