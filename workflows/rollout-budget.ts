/** How many clusters of a wave may fail or be unreachable: a count, or a percentage rounded down. */
export function failureBudget(maxUnavailable: number | string, clusters: number): number {
  if (typeof maxUnavailable === 'number') return maxUnavailable;
  return Math.floor((Number(maxUnavailable.replace('%', '')) / 100) * clusters);
}
