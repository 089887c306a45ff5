const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const DURATION_PATTERN = /^([1-9]\d{0,6})(s|m|h|d)$/;

/** Milliseconds for a policy duration such as `90s`, `15m`, `24h` or `7d`. */
export function parseDuration(text: string): number {
  const match = text.match(DURATION_PATTERN);
  if (!match) throw new Error(`invalid duration ${JSON.stringify(text)}: use a whole number followed by s, m, h or d`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Shortest exact text for a duration, for messages and notifications. */
export function formatDuration(ms: number): string {
  // Days only from two on: people say "24h", not "1d".
  if (ms >= 2 * UNIT_MS.d && ms % UNIT_MS.d === 0) return `${ms / UNIT_MS.d}d`;
  for (const unit of ['h', 'm'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.ceil(ms / 1000)}s`;
}
