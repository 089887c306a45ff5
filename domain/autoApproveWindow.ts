import type { WeeklyWindow } from './policy.ts';

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** Day of the week (0 = Sunday) and minute of the day at `at`, on the wall clock of `timeZone`. */
export function wallClock(at: number, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: WEEKDAYS[part('weekday')]!, minute: Number(part('hour')) * 60 + Number(part('minute')) };
}

/**
 * The window `at` falls in, if any. A window that ends before it starts (`Fri 22:00-06:00`) belongs to the day it
 * starts on and runs past midnight into the next.
 */
export function activeWindow(windows: readonly WeeklyWindow[], timeZone: string, at: number): WeeklyWindow | undefined {
  if (windows.length === 0) return undefined;
  const { day, minute } = wallClock(at, timeZone);
  return windows.find(({ days, fromMinute, toMinute }) => {
    if (fromMinute < toMinute) return days.includes(day) && minute >= fromMinute && minute < toMinute;
    return (days.includes(day) && minute >= fromMinute) || (days.includes((day + 6) % 7) && minute < toMinute);
  });
}
