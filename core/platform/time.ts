/** The UTC day of a time (ms since the epoch), `YYYY-MM-DD`: the unit of daily caps and quotas. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
