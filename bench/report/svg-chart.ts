import type { StrategyMeasurement } from "../suites/strategy-suite";
import { find } from "../suites/strategy-suite";
import { ms } from "./tables";

const WIDTH = 900;
const LABEL_WIDTH = 250;
const PLOT_LEFT = LABEL_WIDTH + 10;
const PLOT_RIGHT = WIDTH - 170;
const BAR = 14;
const TOP = 78;
const COLORS: Readonly<Record<string, string>> = { realistic: "#3b6fb6", "one-select": "#e08a2e", none: "#8a8a8a" };

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * A horizontal bar chart of the median per-test time of every strategy with each test body, on a
 * log scale (the strategies span three orders of magnitude), labelled with the ratio to strategy 1.
 */
export function strategyChart(measurements: readonly StrategyMeasurement[], title: string, subtitle: string): string {
  const ids = [...new Set(measurements.map((m) => m.strategy.id))];
  const medians = measurements.map((m) => m.summary.median).filter((v) => v > 0 && Number.isFinite(v));
  const low = Math.floor(Math.log10(Math.min(...medians)));
  const high = Math.ceil(Math.log10(Math.max(...medians)));
  const x = (value: number) => PLOT_LEFT + ((Math.log10(value) - low) / Math.max(high - low, 1)) * (PLOT_RIGHT - PLOT_LEFT);
  const parts: string[] = [];
  let y = TOP;
  for (const id of ids) {
    const rows = measurements.filter((m) => m.strategy.id === id);
    const groupHeight = rows.length * (BAR + 4);
    parts.push(
      `<text x="${LABEL_WIDTH}" y="${y + groupHeight / 2 + 4}" text-anchor="end">${escapeXml(`${id}  ${rows[0]!.strategy.shortName}`)}</text>`,
    );
    for (const m of rows) {
      const key = m.body?.key ?? "none";
      const baseline = m.body ? find(measurements, "1", m.body.key) : undefined;
      const ratio = baseline ? `  (${(m.summary.median / baseline.median).toFixed(2)}x of 1)` : "";
      const end = x(m.summary.median);
      parts.push(
        `<rect x="${PLOT_LEFT}" y="${y}" width="${Math.max(end - PLOT_LEFT, 1).toFixed(1)}" height="${BAR}" fill="${COLORS[key]}"/>`,
      );
      parts.push(`<text x="${(end + 5).toFixed(1)}" y="${y + BAR - 3}" class="value">${escapeXml(ms(m.summary.median) + ratio)}</text>`);
      y += BAR + 4;
    }
    y += 12;
  }
  const grid: string[] = [];
  for (let decade = low; decade <= high; decade++) {
    const gx = x(10 ** decade).toFixed(1);
    grid.push(`<line x1="${gx}" y1="${TOP - 6}" x2="${gx}" y2="${y - 6}" stroke="#d0d0d0"/>`);
    grid.push(
      `<text x="${gx}" y="${y + 10}" text-anchor="middle" class="axis">${escapeXml(ms(10 ** decade).replace(/\.?0+ ms$/, " ms"))}</text>`,
    );
  }
  const legend = [
    ["realistic", "5 saves + 5 reads"],
    ["one-select", "one SELECT"],
    ["none", "bare driver, no body"],
  ]
    .map(([key, label], i) => {
      const lx = PLOT_LEFT + i * 150;
      return `<rect x="${lx}" y="44" width="12" height="12" fill="${COLORS[key!]}"/><text x="${lx + 18}" y="54">${escapeXml(label!)}</text>`;
    })
    .join("");
  const height = y + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<style>.value{font-size:11px;fill:#333}.axis{font-size:11px;fill:#555}</style>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="20" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="20" y="38" class="axis">${escapeXml(subtitle)}</text>`,
    legend,
    ...grid,
    ...parts,
    `<text x="${(PLOT_LEFT + PLOT_RIGHT) / 2}" y="${height - 4}" text-anchor="middle" class="axis">median time per test (log scale)</text>`,
    `</svg>`,
    "",
  ].join("\n");
}
