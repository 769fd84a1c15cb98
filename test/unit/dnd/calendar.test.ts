import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CalendarParseError, busyIntervals, parseCalendar, type BusyInterval } from '../../../src/dnd/calendar.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../../fixtures/ics/${name}`, import.meta.url)), 'utf8');
const at = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad date ${iso}`);
  return t;
};
const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');
const show = (list: readonly BusyInterval[]): string[] => list.map((i) => `${iso(i.start)} ${iso(i.end)} ${i.uid} ${i.summary ?? '(private)'}`);

describe('parseCalendar + busyIntervals (alice.ics)', () => {
  const alice = parseCalendar(fixture('alice.ics'), { attendees: ['Alice@Example.com'] });

  it('reads the calendar metadata; zone from X-WR-TIMEZONE', () => {
    expect(alice.name).toBe('Alice (work)');
    expect(alice.timezone).toBe('Europe/Berlin');
    expect(alice.eventCount).toBe(12);
    expect(alice.seriesCount).toBe(2);
    expect(alice.warnings).toEqual([]);
  });

  it('expands the weekly series through its VTIMEZONE, with EXDATE, a moved and a cancelled occurrence, across DST', () => {
    const r = busyIntervals(alice, at('2025-03-01T00:00Z'), at('2025-04-03T00:00Z'));
    const standup = r.intervals.filter((i) => i.uid === 'standup@sipwarden.test');
    expect(show(standup)).toEqual([
      '2025-03-03T09:00:00Z 2025-03-03T09:30:00Z standup@sipwarden.test Standup',
      '2025-03-05T09:00:00Z 2025-03-05T09:30:00Z standup@sipwarden.test Standup',
      // 10 March: EXDATE
      // 12 March moved from 10:00 to 15:00 local (CET)
      '2025-03-12T14:00:00Z 2025-03-12T14:30:00Z standup@sipwarden.test Standup (moved)',
      '2025-03-17T09:00:00Z 2025-03-17T09:30:00Z standup@sipwarden.test Standup',
      // 19 March: cancelled through its exception
      '2025-03-24T09:00:00Z 2025-03-24T09:30:00Z standup@sipwarden.test Standup',
      // 26 March: EXDATE after two stale EXDATEs (ical.js alone would keep it)
      // 30 March: Europe switches to summer time; 10:00 local is now 08:00 UTC
      '2025-03-31T08:00:00Z 2025-03-31T08:30:00Z standup@sipwarden.test Standup',
      '2025-04-02T08:00:00Z 2025-04-02T08:30:00Z standup@sipwarden.test Standup',
    ]);
    expect(r.truncated).toBe(false);
    expect(r.problems).toEqual([]);
  });

  it('a moved occurrence is found even when the window only contains its new time', () => {
    const r = busyIntervals(alice, at('2025-03-12T13:00Z'), at('2025-03-12T16:00Z'));
    expect(show(r.intervals)).toEqual(['2025-03-12T14:00:00Z 2025-03-12T14:30:00Z standup@sipwarden.test Standup (moved)']);
  });

  it('ignores transparent, cancelled, Outlook-free and declined events; honours private, IANA TZID, floating and all-day', () => {
    const r = busyIntervals(alice, at('2025-03-13T00:00Z'), at('2025-03-14T00:00Z'));
    expect(show(r.intervals)).toEqual([
      '2025-03-13T07:00:00Z 2025-03-13T08:00:00Z doctor@sipwarden.test (private)',
      '2025-03-13T13:00:00Z 2025-03-13T13:30:00Z ny-call@sipwarden.test Call with New York',
      '2025-03-13T17:00:00Z 2025-03-13T18:00:00Z floating@sipwarden.test Gym',
      // all-day 14 March, Europe/Berlin: local midnight to local midnight
      '2025-03-13T23:00:00Z 2025-03-14T23:00:00Z offsite@sipwarden.test Offsite',
    ]);
    expect(r.intervals.find((i) => i.uid === 'offsite@sipwarden.test')?.allDay).toBe(true);
  });

  it('a declined event is busy when no attendee address is configured (or it is someone else\'s)', () => {
    for (const attendees of [[], ['bob@example.com']]) {
      const cal = parseCalendar(fixture('alice.ics'), { attendees });
      const r = busyIntervals(cal, at('2025-03-13T12:00Z'), at('2025-03-13T15:00Z'));
      expect(r.intervals.map((i) => i.uid)).toContain('budget@sipwarden.test');
    }
  });

  it('all-day and floating times follow the configured zone over X-WR-TIMEZONE', () => {
    const cal = parseCalendar(fixture('alice.ics'), { timezone: 'America/New_York' });
    expect(cal.timezone).toBe('America/New_York');
    const r = busyIntervals(cal, at('2025-03-13T00:00Z'), at('2025-03-15T12:00Z'));
    const byUid = new Map(r.intervals.map((i) => [i.uid, i]));
    expect(iso(byUid.get('offsite@sipwarden.test')!.start)).toBe('2025-03-14T04:00:00Z');
    expect(iso(byUid.get('offsite@sipwarden.test')!.end)).toBe('2025-03-15T04:00:00Z');
    expect(iso(byUid.get('floating@sipwarden.test')!.start)).toBe('2025-03-13T22:00:00Z');
    // TZID with a VTIMEZONE or an IANA name is not affected
    expect(iso(byUid.get('ny-call@sipwarden.test')!.start)).toBe('2025-03-13T13:00:00Z');
  });

  it('ignoreAllDay drops all-day events', () => {
    const cal = parseCalendar(fixture('alice.ics'), { ignoreAllDay: true });
    const r = busyIntervals(cal, at('2025-03-14T00:00Z'), at('2025-03-15T00:00Z'));
    expect(r.intervals.map((i) => i.uid)).not.toContain('offsite@sipwarden.test');
  });

  it('returns intervals overlapping the window, unclipped, and nothing for an empty window', () => {
    const r = busyIntervals(alice, at('2025-03-14T12:00Z'), at('2025-03-14T12:00:01Z'));
    expect(show(r.intervals)).toEqual(['2025-03-13T23:00:00Z 2025-03-14T23:00:00Z offsite@sipwarden.test Offsite']);
    expect(busyIntervals(alice, at('2025-03-14T12:00Z'), at('2025-03-14T12:00Z')).intervals).toEqual([]);
  });
});

describe('fast-forward of long-running series', () => {
  it('yields exactly what plain iteration from DTSTART yields', () => {
    const text = fixture('long-running.ics');
    const fast = parseCalendar(text, { timezone: 'Europe/Berlin', limits: { maxStepsPerSeries: 1_000_000, seriesTimeLimitMs: 30_000 } });
    const slow = parseCalendar(text, {
      timezone: 'Europe/Berlin',
      fastForward: false,
      limits: { maxStepsPerSeries: 1_000_000, seriesTimeLimitMs: 30_000 },
    });
    for (const [from, to, series] of [
      ['2025-03-10T00:00Z', '2025-04-07T00:00Z', [0, 1, 2, 3, 4, 5, 7, 8, 9]], // over the March DST change
      ['2025-10-20T00:00Z', '2025-11-03T00:00Z', [0, 1, 2, 3, 4, 5, 7, 9]], // over the October one; series 8 has ended
    ] as const) {
      const a = busyIntervals(fast, at(from), at(to));
      const b = busyIntervals(slow, at(from), at(to));
      expect(a.problems).toEqual([]);
      expect(b.problems).toEqual([]);
      expect(show(a.intervals)).toEqual(show(b.intervals));
      expect([...new Set(a.intervals.map((i) => i.uid))].sort()).toEqual(series.map((n) => `series-${n}@sipwarden.test`));
    }
  });
});

describe('hostile and broken input', () => {
  it('a rule ical.js loops on forever is cut by the CPU fuse; a per-second rule is truncated; the rest survives', () => {
    const cal = parseCalendar(fixture('hostile.ics'), { limits: { seriesTimeLimitMs: 200, maxStepsPerSeries: 200 } });
    const r = busyIntervals(cal, at('2025-03-13T00:00Z'), at('2025-03-14T00:00Z'));
    expect(r.problems).toEqual([expect.stringContaining('impossible@sipwarden.test')]);
    expect(r.truncated).toBe(true);
    expect(r.intervals.map((i) => i.uid)).toContain('normal@sipwarden.test');
    expect(r.intervals.filter((i) => i.uid === 'every-second@sipwarden.test').length).toBeLessThanOrEqual(200);
    // the broken series is skipped from then on, and still reported
    const again = busyIntervals(cal, at('2025-03-20T00:00Z'), at('2025-03-21T00:00Z'));
    expect(again.problems).toEqual([expect.stringContaining('impossible@sipwarden.test')]);
  });

  it('caps the window length', () => {
    const cal = parseCalendar(fixture('alice.ics'), { limits: { maxWindowMs: 7 * 86_400_000 } });
    const r = busyIntervals(cal, at('2025-03-01T00:00Z'), at('2025-06-01T00:00Z'));
    expect(r.truncated).toBe(true);
    expect(r.to).toBe(at('2025-03-08T00:00Z'));
  });

  it('refuses text that is not iCalendar with a CalendarParseError', () => {
    expect(() => parseCalendar('<html><body>Please log in</body></html>')).toThrow(CalendarParseError);
    expect(() => parseCalendar('')).toThrow(/no BEGIN:VCALENDAR/);
    expect(() => parseCalendar('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2025\r\n')).toThrow(CalendarParseError);
    expect(() => parseCalendar('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:FREQ=DAILY;BYHOUR=25\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n')).toThrow(
      CalendarParseError,
    );
  });

  it('refuses calendars with more events than allowed', () => {
    expect(() => parseCalendar(fixture('alice.ics'), { limits: { maxEvents: 5 } })).toThrow(/12 events, more than the limit of 5/);
  });

  it('skips single bad events with a warning instead of failing the calendar', () => {
    const text = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'BEGIN:VEVENT',
      'UID:no-start@sipwarden.test',
      'SUMMARY:No start',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:ok@sipwarden.test',
      'DTSTART:20250313T090000Z',
      'DTEND:20250313T100000Z',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const cal = parseCalendar(text);
    expect(cal.warnings).toEqual([expect.stringContaining('no-start@sipwarden.test')]);
    expect(busyIntervals(cal, at('2025-03-13T00:00Z'), at('2025-03-14T00:00Z')).intervals.map((i) => i.uid)).toEqual(['ok@sipwarden.test']);
  });

  it('a VTIMEZONE that would take forever to expand fails the parse, not the process', () => {
    const text = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'BEGIN:VTIMEZONE',
      'TZID:Evil',
      'BEGIN:STANDARD',
      'DTSTART:16010101T000000',
      'TZOFFSETFROM:+0100',
      'TZOFFSETTO:+0200',
      'RRULE:FREQ=SECONDLY',
      'END:STANDARD',
      'END:VTIMEZONE',
      'BEGIN:VEVENT',
      'UID:evil@sipwarden.test',
      'DTSTART;TZID=Evil:20250313T090000',
      'DTEND;TZID=Evil:20250313T100000',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    let outcome: unknown;
    try {
      const cal = parseCalendar(text, { limits: { parseTimeLimitMs: 200 } });
      outcome = cal.warnings;
    } catch (err) {
      outcome = err;
    }
    // Either refused as a whole or the event skipped with a warning - never a hang or a crash.
    if (outcome instanceof Error) expect(outcome).toBeInstanceOf(CalendarParseError);
    else expect(outcome).toEqual(expect.arrayContaining([expect.stringContaining('evil@sipwarden.test')]));
  });

  it('refuses an unknown configured zone', () => {
    expect(() => parseCalendar(fixture('alice.ics'), { timezone: 'Mars/Olympus' })).toThrow(/unknown IANA time zone/);
  });
});
