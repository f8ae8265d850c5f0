/** Median of the values (mean of the middle two for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Spread of repeated runs: half the range, as a percentage of the median (`+-5%` means the
 * runs lay within 5% either side). Undefined for fewer than two runs or a zero median.
 */
export function spreadPercent(values: readonly number[]): number | undefined {
  if (values.length < 2) return undefined;
  const middle = median(values);
  if (middle === 0) return undefined;
  return ((Math.max(...values) - Math.min(...values)) / 2 / middle) * 100;
}

/** Load-generator CPU (% of one core) from which a cell is flagged: it measured the client. */
export const SATURATED_CLIENT_PERCENT = 90;
