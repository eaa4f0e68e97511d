/** The `q` quantile (0…1) of ascending `sorted` samples, interpolated linearly (as tinybench does). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

/** What the results report of one measured task. Times in milliseconds. */
export interface Summary {
  readonly iterations: number;
  readonly median: number;
  readonly p95: number;
  readonly mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(sorted.length, 1);
  return { iterations: sorted.length, median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), mean };
}
