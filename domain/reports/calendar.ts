const DAY_MS = 86_400_000;

/** The UTC day of a time, `YYYY-MM-DD`. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The ISO 8601 week of a time in UTC, `YYYY-Www`: weeks start on Monday, and week 1 holds the year's first Thursday. */
export function isoWeek(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7;
  const thursday = new Date((day - weekday + 3) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
