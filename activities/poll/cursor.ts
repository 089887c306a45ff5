const NUMBER = /^-?\d{1,15}(\.\d+)?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/**
 * Orders two cursor values as an API means them: numbers (ids, epoch seconds) by value, ISO 8601 times by the instant
 * (offsets and fractions differ between APIs), anything else as text.
 */
export function compareCursors(a: string, b: string): number {
  if (NUMBER.test(a) && NUMBER.test(b)) return Number(a) - Number(b);
  if (ISO_TIME.test(a) && ISO_TIME.test(b)) {
    const [x, y] = [Date.parse(a), Date.parse(b)];
    if (!Number.isNaN(x) && !Number.isNaN(y)) return x !== y ? x - y : compareText(subMillisecond(a), subMillisecond(b));
  }
  return compareText(a, b);
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Date.parse stops at milliseconds; Elastic's `date_nanos` and others go on to nanoseconds. */
function subMillisecond(time: string): string {
  return (time.match(/\.\d{3}(\d{1,6})/)?.[1] ?? '').padEnd(6, '0');
}

/** The later of two cursors; either may be absent. */
export function laterCursor(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareCursors(a, b) >= 0 ? a : b;
}
