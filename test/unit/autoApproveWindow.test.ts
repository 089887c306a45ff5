import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { activeWindow, wallClock } from '../../domain/autoApproveWindow.ts';
import { policySchema } from '../../domain/policy.ts';

function windows(list: string[], timeZone = 'UTC') {
  const parsed = policySchema.parse({ playbooks: { p: { autoApproveWindows: list, timeZone } } }).playbooks.p!;
  return { windows: parsed.autoApproveWindows, timeZone: parsed.timeZone };
}

describe('auto-approve windows', () => {
  const weekend = windows(['Sat-Sun 01:00-05:00'], 'Europe/Paris');
  // 2026-11-21 is a Saturday; Paris is UTC+1 in November.
  const cases: ReadonlyArray<[utc: string, inside: boolean, why: string]> = [
    ['2026-11-21T00:00:00Z', true, 'Saturday 01:00 in Paris: the first minute'],
    ['2026-11-21T03:59:00Z', true, 'Saturday 04:59 in Paris: the last minute'],
    ['2026-11-21T04:00:00Z', false, 'Saturday 05:00 in Paris: the end is exclusive'],
    ['2026-11-20T23:59:00Z', false, 'Saturday 00:59 in Paris'],
    ['2026-11-22T02:30:00Z', true, 'Sunday 03:30 in Paris'],
    ['2026-11-23T01:00:00Z', false, 'Monday 02:00 in Paris'],
    ['2026-11-21T01:30:00+01:00', true, 'an offset written in the timestamp'],
  ];
  for (const [utc, inside, why] of cases) {
    test(`${utc}: ${why} → ${inside ? 'inside' : 'outside'}`, () => {
      assert.equal(activeWindow(weekend.windows, weekend.timeZone, Date.parse(utc))?.text, inside ? 'Sat-Sun 01:00-05:00' : undefined);
    });
  }

  test('the time zone decides: the same instant is inside in Paris and outside in New York', () => {
    const at = Date.parse('2026-11-21T01:00:00Z');
    assert.ok(activeWindow(weekend.windows, 'Europe/Paris', at));
    assert.equal(activeWindow(weekend.windows, 'America/New_York', at), undefined);
  });

  test('daylight saving: 02:30 on the spring-forward Sunday is skipped, and 01:00 local still counts', () => {
    // 2026-03-29: Paris jumps from 02:00 to 03:00 (UTC+1 → UTC+2).
    assert.deepEqual(wallClock(Date.parse('2026-03-29T00:30:00Z'), 'Europe/Paris'), { day: 0, minute: 90 });
    assert.deepEqual(wallClock(Date.parse('2026-03-29T01:30:00Z'), 'Europe/Paris'), { day: 0, minute: 210 });
  });

  test('a window past midnight belongs to its start day and runs into the next', () => {
    const night = windows(['Fri 22:00-06:00']);
    assert.ok(activeWindow(night.windows, night.timeZone, Date.parse('2026-11-20T23:00:00Z')), 'Friday 23:00');
    assert.ok(activeWindow(night.windows, night.timeZone, Date.parse('2026-11-21T05:59:00Z')), 'Saturday 05:59');
    assert.equal(activeWindow(night.windows, night.timeZone, Date.parse('2026-11-21T22:30:00Z')), undefined, 'Saturday 22:30');
    assert.equal(activeWindow(night.windows, night.timeZone, Date.parse('2026-11-20T05:00:00Z')), undefined, 'Friday 05:00: Thursday was not listed');
  });

  test('a day range wraps over the week end', () => {
    const range = windows(['Fri-Mon 00:00-24:00']);
    const days = ['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24'].map((d) => Boolean(activeWindow(range.windows, range.timeZone, Date.parse(`${d}T12:00:00Z`))));
    assert.deepEqual(days, [false, true, true, true, true, false]);
  });

  test('no windows: never inside', () => {
    assert.equal(activeWindow([], 'UTC', Date.now()), undefined);
  });
});

describe('auto-approve windows: refused spellings', () => {
  const refused: ReadonlyArray<[value: unknown, why: string]> = [
    ['Sat-Sun 1:00-5:00', 'times without two digits'],
    ['Saturday 01:00-05:00', 'long day names'],
    ['Sat-Sun 01:00-01:00', 'an empty window'],
    ['Sat 25:00-05:00', 'hour 25'],
    ['Sat 01:00-24:30', 'past 24:00'],
    ['sat 01:00-05:00', 'lower case'],
    ['Sat 01:00 - 05:00', 'spaces around the dash'],
  ];
  for (const [value, why] of refused) {
    test(`${JSON.stringify(value)} (${why}) is refused at its index`, () => {
      const result = policySchema.safeParse({ playbooks: { p: { autoApproveWindows: ['Sun 01:00-02:00', value] } } });
      assert.equal(result.success, false);
      assert.deepEqual(result.error!.issues.map((i) => i.path), [['playbooks', 'p', 'autoApproveWindows', 1]]);
    });
  }

  test('an unknown time zone is refused', () => {
    const result = policySchema.safeParse({ playbooks: { p: { timeZone: 'Mars/Olympus' } } });
    assert.equal(result.success, false);
    assert.match(result.error!.issues[0]!.message, /IANA time zone/);
  });
});
