import { describe, expect, it } from 'vitest';
import { DndValidationError } from '../../../src/dnd/types.js';
import {
  activeRuleWindows,
  checkWeeklyRule,
  ruleWindows,
  scheduleAt,
  validateWeeklyRule,
  type WeeklyRule,
  type WeeklyRuleInput,
} from '../../../src/dnd/weekly-rule.js';
import { wallClockToInstant } from '../../../src/dnd/zoned-time.js';

const at = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad date ${iso}`);
  return t;
};
const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString().replace('.000Z', 'Z'));

function rule(partial: Partial<WeeklyRuleInput> & Pick<WeeklyRuleInput, 'days' | 'start'>, tz = 'Europe/Berlin'): WeeklyRule {
  return validateWeeklyRule({ id: 'r1', extension: '1001', ...partial }, { defaultTimezone: tz });
}

function dndAt(rules: readonly WeeklyRule[], when: string): boolean {
  return scheduleAt(rules, at(when)).dnd;
}

function windowsOn(r: WeeklyRule, fromIso: string, toIso: string): string[] {
  return ruleWindows(r, at(fromIso), at(toIso)).map((w) => `${w.localDate} ${iso(w.start)} ${iso(w.end)}`);
}

describe('validation', () => {
  it('normalises a rule: names and numbers for days, HH:MM, canonical zone, start + duration', () => {
    const r = validateWeeklyRule(
      { id: 'night', extension: '1001', days: ['Fri', 'monday', 'SA', 1, '3'], start: '7:05', end: '6:00', timezone: 'europe/berlin' },
      { defaultTimezone: 'UTC' },
    );
    expect(r).toEqual({
      id: 'night',
      extension: '1001',
      days: [1, 3, 5, 6],
      start: '07:05',
      durationMinutes: 22 * 60 + 55,
      end: '06:00',
      timezone: 'Europe/Berlin',
      priority: 0,
      enabled: true,
      label: null,
    });
  });

  it('uses the caller\'s default zone when the rule has none', () => {
    expect(rule({ days: [1], start: '09:00', end: '17:00' }, 'America/New_York').timezone).toBe('America/New_York');
  });

  it('end == start means 24 hours; "24:00" is midnight; durationMinutes may go up to a week', () => {
    expect(rule({ days: [6], start: '00:00', end: '00:00' }).durationMinutes).toBe(1440);
    expect(rule({ days: [6], start: '08:30', end: '08:30' }).durationMinutes).toBe(1440);
    expect(rule({ days: [1], start: '18:00', end: '24:00' })).toMatchObject({ durationMinutes: 360, end: '00:00' });
    expect(rule({ days: [5], start: '18:00', durationMinutes: 3 * 1440 + 14 * 60 })).toMatchObject({ end: '08:00' });
    // a stored rule (with both end and duration) validates again unchanged
    const stored = rule({ days: [5], start: '22:00', end: '06:00' });
    expect(validateWeeklyRule(stored, { defaultTimezone: 'UTC' })).toEqual(stored);
  });

  it('names every bad field', () => {
    const r = checkWeeklyRule(
      { id: '', extension: '1001', days: [], start: '25:00', end: '7pm', timezone: 'Europe/Berln', priority: 1.5, enabled: 'yes' },
      { defaultTimezone: 'UTC' },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.field)).toEqual(['id', 'days', 'start', 'end', 'timezone', 'priority', 'enabled']);
    expect(r.issues.find((i) => i.field === 'timezone')?.message).toMatch(/unknown IANA time zone "Europe\/Berln"/);
  });

  it('points at the bad day, with a hint for Sunday = 0', () => {
    try {
      validateWeeklyRule({ id: 'x', extension: '1001', days: [1, 0, 'Funday'], start: '09:00', end: '10:00' }, { defaultTimezone: 'UTC' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DndValidationError);
      const e = err as DndValidationError;
      expect(e.issues.map((i) => i.field)).toEqual(['days[1]', 'days[2]']);
      expect(e.issues[0]!.message).toMatch(/Sunday is 7/);
      expect(e.message).toMatch(/^days\[1\]: /);
    }
  });

  it('refuses an end that disagrees with durationMinutes, a missing end, and an unknown default zone', () => {
    const fields = (input: unknown, tz = 'UTC'): string[] => {
      const r = checkWeeklyRule(input, { defaultTimezone: tz });
      return r.ok ? [] : r.issues.map((i) => i.field);
    };
    expect(fields({ id: 'x', extension: '1', days: [1], start: '22:00', end: '06:00', durationMinutes: 60 })).toEqual(['end']);
    expect(fields({ id: 'x', extension: '1', days: [1], start: '22:00' })).toEqual(['end']);
    expect(fields({ id: 'x', extension: '1', days: [1], start: '22:00', durationMinutes: 0 })).toEqual(['durationMinutes']);
    expect(fields({ id: 'x', extension: '1', days: [1], start: '22:00', end: '23:00' }, 'Nowhere/Land')).toEqual(['timezone']);
    expect(fields('nope')).toEqual(['(rule)']);
  });
});

describe('a rule across midnight: Friday 22:00-06:00 (Europe/Berlin, 13/14 June 2025)', () => {
  const night = [rule({ days: [5], start: '22:00', end: '06:00' })];

  it('covers Friday night and the Saturday morning part, which belongs to Friday', () => {
    expect(dndAt(night, '2025-06-14T03:00+02:00')).toBe(true); // Saturday 03:00
    expect(dndAt(night, '2025-06-14T07:00+02:00')).toBe(false); // Saturday 07:00
    expect(dndAt(night, '2025-06-13T21:59+02:00')).toBe(false); // Friday 21:59
  });

  it('starts inclusive, ends exclusive', () => {
    expect(dndAt(night, '2025-06-13T22:00+02:00')).toBe(true);
    expect(dndAt(night, '2025-06-14T05:59:59.999+02:00')).toBe(true);
    expect(dndAt(night, '2025-06-14T06:00+02:00')).toBe(false);
  });

  it('only on the rule\'s weekday: not Thursday night, not Saturday night', () => {
    expect(dndAt(night, '2025-06-12T23:00+02:00')).toBe(false); // Thursday
    expect(dndAt(night, '2025-06-15T03:00+02:00')).toBe(false); // Sunday 03:00 (after Saturday night)
  });

  it('says until when and since when', () => {
    const inside = scheduleAt(night, at('2025-06-14T03:00+02:00'));
    expect(iso(inside.until)).toBe('2025-06-14T04:00:00Z'); // 06:00 local
    expect(iso(inside.since)).toBe('2025-06-13T20:00:00Z'); // 22:00 local
    expect(inside.active.map((w) => [w.ruleId, w.localDate])).toEqual([['r1', '2025-06-13']]);
    const before = scheduleAt(night, at('2025-06-13T21:59+02:00'));
    expect(iso(before.until)).toBe('2025-06-13T20:00:00Z'); // next change: DND begins at 22:00
    const after = scheduleAt(night, at('2025-06-14T07:00+02:00'));
    expect(iso(after.until)).toBe('2025-06-20T20:00:00Z'); // next Friday
    expect(iso(after.since)).toBe('2025-06-14T04:00:00Z');
  });
});

describe('weekday boundaries', () => {
  const office = [rule({ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' })];

  it('Monday-Friday 09:00-17:00', () => {
    expect(dndAt(office, '2025-06-15T23:59+02:00')).toBe(false); // Sunday
    expect(dndAt(office, '2025-06-16T09:00+02:00')).toBe(true); // Monday
    expect(dndAt(office, '2025-06-20T16:59+02:00')).toBe(true); // Friday
    expect(dndAt(office, '2025-06-20T17:00+02:00')).toBe(false);
    expect(dndAt(office, '2025-06-21T10:00+02:00')).toBe(false); // Saturday
    expect(iso(scheduleAt(office, at('2025-06-20T17:00+02:00')).until)).toBe('2025-06-23T07:00:00Z'); // Monday 09:00
  });

  it('Sunday (7) 23:00-01:00 reaches into Monday; Monday night is not covered', () => {
    const sunday = [rule({ days: [7], start: '23:00', end: '01:00' })];
    expect(dndAt(sunday, '2025-06-16T00:30+02:00')).toBe(true);
    expect(dndAt(sunday, '2025-06-16T23:30+02:00')).toBe(false);
  });

  it('whole days touching each other form one run: Saturday + Sunday 00:00-00:00', () => {
    const weekend = [rule({ days: ['sat', 'sun'], start: '00:00', end: '00:00' })];
    const s = scheduleAt(weekend, at('2025-06-14T12:00+02:00'));
    expect(s.dnd).toBe(true);
    expect(iso(s.since)).toBe('2025-06-13T22:00:00Z'); // Saturday 00:00
    expect(iso(s.until)).toBe('2025-06-15T22:00:00Z'); // Monday 00:00
  });

  it('a multi-day duration: Friday 18:00 for 2 days 14 hours ends Monday 08:00', () => {
    const r = [rule({ days: [5], start: '18:00', durationMinutes: 2 * 1440 + 14 * 60 })];
    expect(dndAt(r, '2025-06-16T07:59+02:00')).toBe(true);
    expect(dndAt(r, '2025-06-16T08:00+02:00')).toBe(false);
    expect(iso(scheduleAt(r, at('2025-06-15T12:00+02:00')).until)).toBe('2025-06-16T06:00:00Z');
  });
});

describe('DST, Europe/Berlin (2025: spring forward 30 March 02:00 -> 03:00, fall back 26 October 03:00 -> 02:00)', () => {
  it('a night rule keeps its wall-clock hours: 7 h on the spring-forward night, 9 h on the fall-back night', () => {
    const r = rule({ days: [6], start: '22:00', end: '06:00' });
    expect(windowsOn(r, '2025-03-29T12:00Z', '2025-03-30T12:00Z')).toEqual(['2025-03-29 2025-03-29T21:00:00Z 2025-03-30T04:00:00Z']);
    expect(windowsOn(r, '2025-10-25T12:00Z', '2025-10-26T12:00Z')).toEqual(['2025-10-25 2025-10-25T20:00:00Z 2025-10-26T05:00:00Z']);
  });

  it('a start in the skipped hour (02:30 on 30 March) starts when the clock jumps, at 03:00 CEST', () => {
    const r = [rule({ days: [7], start: '02:30', end: '05:00' })];
    expect(windowsOn(r[0]!, '2025-03-30T00:00Z', '2025-03-30T12:00Z')).toEqual(['2025-03-30 2025-03-30T01:00:00Z 2025-03-30T03:00:00Z']);
    expect(dndAt(r, '2025-03-30T00:59:59Z')).toBe(false); // 01:59:59 CET
    expect(dndAt(r, '2025-03-30T01:00:00Z')).toBe(true); // 03:00 CEST
  });

  it('a window wholly inside the skipped hour does not happen that day, and does the week after', () => {
    const r = rule({ days: [7], start: '02:00', end: '03:00' });
    expect(windowsOn(r, '2025-03-29T12:00Z', '2025-03-31T00:00Z')).toEqual([]);
    expect(windowsOn(r, '2025-04-05T12:00Z', '2025-04-07T00:00Z')).toEqual(['2025-04-06 2025-04-06T00:00:00Z 2025-04-06T01:00:00Z']);
    expect(windowsOn(rule({ days: [7], start: '02:15', end: '02:45' }), '2025-03-29T12:00Z', '2025-03-31T00:00Z')).toEqual([]);
  });

  it('in the repeated hour only the first pass counts (02:00-02:45 on 26 October is 45 minutes, in CEST)', () => {
    const r = [rule({ days: [7], start: '02:00', end: '02:45' })];
    expect(windowsOn(r[0]!, '2025-10-25T12:00Z', '2025-10-26T12:00Z')).toEqual(['2025-10-26 2025-10-26T00:00:00Z 2025-10-26T00:45:00Z']);
    expect(dndAt(r, '2025-10-26T00:30Z')).toBe(true); // 02:30 CEST
    expect(dndAt(r, '2025-10-26T01:30Z')).toBe(false); // 02:30 CET, the second time round
  });

  it('a start in the repeated hour fires the first time the clock reads it', () => {
    const r = rule({ days: [7], start: '02:30', end: '04:00' });
    expect(windowsOn(r, '2025-10-25T12:00Z', '2025-10-26T12:00Z')).toEqual(['2025-10-26 2025-10-26T00:30:00Z 2025-10-26T03:00:00Z']);
  });
});

describe('DST, America/New_York (2025: spring forward 9 March 02:00 -> 03:00, fall back 2 November 02:00 -> 01:00)', () => {
  const ny = (p: Partial<WeeklyRuleInput> & Pick<WeeklyRuleInput, 'days' | 'start'>): WeeklyRule => rule(p, 'America/New_York');

  it('a night rule: 7 h in March, 9 h in November', () => {
    const r = ny({ days: [6], start: '22:00', end: '06:00' });
    expect(windowsOn(r, '2025-03-08T12:00Z', '2025-03-09T12:00Z')).toEqual(['2025-03-08 2025-03-09T03:00:00Z 2025-03-09T10:00:00Z']);
    expect(windowsOn(r, '2025-11-01T12:00Z', '2025-11-02T12:00Z')).toEqual(['2025-11-01 2025-11-02T02:00:00Z 2025-11-02T11:00:00Z']);
  });

  it('skipped hour: 02:30-04:00 on 9 March runs 03:00-04:00 EDT', () => {
    const r = [ny({ days: [7], start: '02:30', end: '04:00' })];
    expect(windowsOn(r[0]!, '2025-03-09T00:00Z', '2025-03-09T12:00Z')).toEqual(['2025-03-09 2025-03-09T07:00:00Z 2025-03-09T08:00:00Z']);
    expect(dndAt(r, '2025-03-09T06:59Z')).toBe(false); // 01:59 EST
    expect(dndAt(r, '2025-03-09T07:00Z')).toBe(true); // 03:00 EDT
  });

  it('repeated hour: 01:15-01:45 on 2 November happens once, in EDT', () => {
    const r = [ny({ days: [7], start: '01:15', end: '01:45' })];
    expect(windowsOn(r[0]!, '2025-11-01T12:00Z', '2025-11-02T12:00Z')).toEqual(['2025-11-02 2025-11-02T05:15:00Z 2025-11-02T05:45:00Z']);
    expect(dndAt(r, '2025-11-02T05:30Z')).toBe(true); // 01:30 EDT
    expect(dndAt(r, '2025-11-02T06:30Z')).toBe(false); // 01:30 EST
  });

  it('each rule uses its own zone: in the weeks between the US and EU switches the gap is 5 h, not 6', () => {
    const berlin = rule({ days: [1], start: '09:00', end: '17:00' });
    const newYork = ny({ days: [1], start: '09:00', end: '17:00' });
    expect(windowsOn(berlin, '2025-03-17T00:00Z', '2025-03-18T00:00Z')).toEqual(['2025-03-17 2025-03-17T08:00:00Z 2025-03-17T16:00:00Z']);
    expect(windowsOn(newYork, '2025-03-17T00:00Z', '2025-03-18T00:00Z')).toEqual(['2025-03-17 2025-03-17T13:00:00Z 2025-03-17T21:00:00Z']);
    expect(windowsOn(newYork, '2025-04-07T00:00Z', '2025-04-08T00:00Z')).toEqual(['2025-04-07 2025-04-07T13:00:00Z 2025-04-07T21:00:00Z']);
  });
});

describe('priorities and disabled rules', () => {
  const evenings = validateWeeklyRule(
    { id: 'evenings', extension: '1001', days: [1, 2, 3, 4, 5], start: '18:00', end: '08:00', priority: 1 },
    { defaultTimezone: 'Europe/Berlin' },
  );
  const poker = validateWeeklyRule(
    { id: 'poker', extension: '1001', days: [5], start: '20:00', end: '23:00', priority: 5 },
    { defaultTimezone: 'Europe/Berlin' },
  );
  const off = validateWeeklyRule(
    { id: 'disabled', extension: '1001', days: [5], start: '19:00', end: '22:00', priority: 10, enabled: false },
    { defaultTimezone: 'Europe/Berlin' },
  );
  const rules = [evenings, poker, off];

  it('the higher priority rule is the reason where rules overlap; the run ends with the last one', () => {
    const s = scheduleAt(rules, at('2025-06-13T21:00+02:00'));
    expect(s.active.map((w) => w.ruleId)).toEqual(['poker', 'evenings']);
    expect(iso(s.until)).toBe('2025-06-14T06:00:00Z'); // Saturday 08:00, end of "evenings"
  });

  it('a disabled rule is ignored entirely, whatever its priority', () => {
    expect(scheduleAt(rules, at('2025-06-13T19:30+02:00')).active.map((w) => w.ruleId)).toEqual(['evenings']);
    expect(scheduleAt([off], at('2025-06-13T19:30+02:00')).dnd).toBe(false);
    expect(activeRuleWindows([off], at('2025-06-13T19:30+02:00'))).toEqual([]);
  });

  it('equal priorities: the window that started first wins', () => {
    const a = validateWeeklyRule({ id: 'b-late', extension: '1', days: [5], start: '21:00', end: '23:00' }, { defaultTimezone: 'Europe/Berlin' });
    const b = validateWeeklyRule({ id: 'a-early', extension: '1', days: [5], start: '20:00', end: '22:00' }, { defaultTimezone: 'Europe/Berlin' });
    expect(activeRuleWindows([a, b], at('2025-06-13T21:30+02:00')).map((w) => w.ruleId)).toEqual(['a-early', 'b-late']);
  });
});

describe('wallClockToInstant', () => {
  it('resolves normal, skipped and repeated local times', () => {
    const d = (y: number, m: number, day: number) => ({ year: y, month: m, day });
    expect(iso(wallClockToInstant(d(2025, 6, 13), 22 * 3_600_000, 'Europe/Berlin'))).toBe('2025-06-13T20:00:00Z');
    expect(iso(wallClockToInstant(d(2025, 3, 30), 2.5 * 3_600_000, 'Europe/Berlin'))).toBe('2025-03-30T01:00:00Z');
    expect(iso(wallClockToInstant(d(2025, 10, 26), 2.5 * 3_600_000, 'Europe/Berlin'))).toBe('2025-10-26T00:30:00Z');
    expect(iso(wallClockToInstant(d(2025, 3, 9), 2.5 * 3_600_000, 'America/New_York'))).toBe('2025-03-09T07:00:00Z');
    expect(iso(wallClockToInstant(d(2025, 11, 2), 1.5 * 3_600_000, 'America/New_York'))).toBe('2025-11-02T05:30:00Z');
    // more than a day of wall time rolls over to the next date
    expect(iso(wallClockToInstant(d(2025, 6, 13), 30 * 3_600_000, 'UTC'))).toBe('2025-06-14T06:00:00Z');
  });
});
