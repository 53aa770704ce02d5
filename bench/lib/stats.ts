/** Small statistics for benchmark samples. */

export function quantile(values: number[], q: number): number | null {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export const median = (values: number[]): number | null => quantile(values, 0.5);

export const round = (value: number | null | undefined, digits = 1): number | null =>
  value === null || value === undefined || !Number.isFinite(value)
    ? null
    : Math.round(value * 10 ** digits) / 10 ** digits;

/** Median of each key over a list of records of numbers (missing values are skipped). */
export function medians(records: Record<string, number | undefined>[]): Record<string, number | null> {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(
    keys.map((k) => [k, round(median(records.map((r) => r[k]).filter((v): v is number => v !== undefined)))]),
  );
}

export const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
