import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseCalendar } from '../../../src/dnd/calendar.js';
import { DndService } from '../../../src/dnd/dnd-service.js';
import { dndRejectVerdict } from '../../../src/dnd/sip-answer.js';
import { DndValidationError } from '../../../src/dnd/types.js';

const at = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad date ${iso}`);
  return t;
};
const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../../fixtures/ics/${name}`, import.meta.url)), 'utf8');

// Friday 13 June 2025, Europe/Berlin (UTC+2)
const FRI_1500 = at('2025-06-13T15:00+02:00');
const FRI_2159 = at('2025-06-13T21:59+02:00');
const FRI_2200 = at('2025-06-13T22:00+02:00');
const SAT_0200 = at('2025-06-14T02:00+02:00');
const SAT_0300 = at('2025-06-14T03:00+02:00');
const SAT_0600 = at('2025-06-14T06:00+02:00');
const SAT_0700 = at('2025-06-14T07:00+02:00');

let dnd: DndService;

beforeEach(() => {
  dnd = new DndService({ defaultTimezone: 'Europe/Berlin' });
  dnd.replaceRules([
    { id: 'fri-night', extension: '1001', days: [5], start: '22:00', end: '06:00' },
    { id: 'lunch', extension: '1001', days: [1, 2, 3, 4, 5], start: '12:00', end: '13:00', priority: 2 },
  ]);
});

describe('status from the schedule', () => {
  it('across midnight, with reason, since and until', () => {
    expect(dnd.status('1001', SAT_0300)).toEqual({
      extension: '1001',
      at: SAT_0300,
      dnd: true,
      reason: 'schedule',
      ruleId: 'fri-night',
      since: FRI_2200,
      until: SAT_0600,
    });
    expect(dnd.status('1001', SAT_0700)).toMatchObject({ dnd: false, reason: 'none', since: SAT_0600, until: at('2025-06-16T12:00+02:00') });
    expect(dnd.status('1001', FRI_2159)).toMatchObject({ dnd: false, reason: 'none', until: FRI_2200 });
  });

  it('an extension without any DND data is available, with nothing to say about until', () => {
    expect(dnd.status('9999', SAT_0300)).toEqual({ extension: '9999', at: SAT_0300, dnd: false, reason: 'none', until: null });
  });

  it('the timeline is rebuilt as time moves on (same answers a week later)', () => {
    const week = 7 * 86_400_000;
    expect(dnd.status('1001', SAT_0300).dnd).toBe(true);
    expect(dnd.status('1001', SAT_0300 + week)).toMatchObject({ dnd: true, until: SAT_0600 + week });
    expect(dnd.status('1001', SAT_0300 - week)).toMatchObject({ dnd: true, until: SAT_0600 - week });
  });

  it('rule edits take effect at once; a bad batch changes nothing and names the field', () => {
    expect(() =>
      dnd.replaceRules([
        { id: 'ok', extension: '1001', days: [6], start: '00:00', end: '00:00' },
        { id: 'bad', extension: '1001', days: [], start: '9', end: '10:00', timezone: 'Mars/Base' },
      ]),
    ).toThrow(DndValidationError);
    try {
      dnd.replaceRules([{ id: 'bad', extension: '1001', days: [1], start: '09:00', end: '10:00', timezone: 'Mars/Base' }]);
    } catch (err) {
      expect((err as DndValidationError).issues.map((i) => i.field)).toEqual(['rules[0].timezone']);
    }
    expect(dnd.rules('1001').map((r) => r.id)).toEqual(['fri-night', 'lunch']);

    dnd.upsertRule({ id: 'fri-night', extension: '1001', days: [5], start: '22:00', end: '06:00', enabled: false });
    expect(dnd.status('1001', SAT_0300).dnd).toBe(false);
    dnd.upsertRule({ id: 'fri-night', extension: '1002', days: [5], start: '22:00', end: '06:00' });
    expect(dnd.status('1002', SAT_0300).dnd).toBe(true);
    expect(dnd.removeRule('fri-night')).toBe(true);
    expect(dnd.status('1002', SAT_0300).dnd).toBe(false);
    expect(dnd.removeRule('fri-night')).toBe(false);
  });

  it('rules without a zone take the extension\'s zone, else the service default', () => {
    dnd.setExtensionSettings({ extension: '3003', timezone: 'America/New_York' });
    expect(dnd.upsertRule({ id: 'ny', extension: '3003', days: [6], start: '22:00', end: '06:00' }).timezone).toBe('America/New_York');
    expect(dnd.upsertRule({ id: 'de', extension: '3004', days: [6], start: '22:00', end: '06:00' }).timezone).toBe('Europe/Berlin');
    // New York fall back: 9 hours of real time
    expect(dnd.status('3003', at('2025-11-02T10:59Z'))).toMatchObject({ dnd: true, until: at('2025-11-02T11:00Z') });
  });
});

describe('overrides', () => {
  it('"on" beats an available schedule, ends exactly at its time, records the previous status', () => {
    const o = dnd.setOverride('1001', { state: 'on', until: FRI_1500 + 3_600_000 }, FRI_1500);
    expect(o).toMatchObject({ state: 'on', mode: 'until', setAt: FRI_1500, previousStatus: { dnd: false, reason: 'none' } });
    expect(dnd.status('1001', FRI_1500 + 1_800_000)).toEqual({
      extension: '1001',
      at: FRI_1500 + 1_800_000,
      dnd: true,
      reason: 'override',
      since: FRI_1500,
      until: FRI_1500 + 3_600_000,
      overrideUntil: FRI_1500 + 3_600_000,
      overrideMode: 'until',
      previousStatus: { dnd: false, reason: 'none' },
    });
    expect(dnd.status('1001', FRI_1500 + 3_600_000 - 1).reason).toBe('override');
    expect(dnd.status('1001', FRI_1500 + 3_600_000)).toMatchObject({ dnd: false, reason: 'none', until: FRI_2200 });
  });

  it('"off" beats a scheduled DND', () => {
    dnd.setOverride('1001', { state: 'off', until: null }, SAT_0200);
    expect(dnd.status('1001', SAT_0300)).toMatchObject({
      dnd: false,
      reason: 'override',
      until: null,
      overrideMode: 'permanent',
      previousStatus: { dnd: true, reason: 'schedule', ruleId: 'fri-night' },
    });
    expect(dnd.decideInvite('1001', '+4930123', SAT_0300, false)).toBeNull();
    expect(dnd.clearOverride('1001')?.state).toBe('off');
    expect(dnd.status('1001', SAT_0300).reason).toBe('schedule');
  });

  it('an "on" override ending inside a scheduled DND reports when DND really ends', () => {
    dnd.setOverride('1001', { state: 'on', until: at('2025-06-13T23:00+02:00') }, at('2025-06-13T20:00+02:00'));
    expect(dnd.status('1001', at('2025-06-13T21:00+02:00'))).toMatchObject({
      dnd: true,
      reason: 'override',
      overrideUntil: at('2025-06-13T23:00+02:00'),
      until: SAT_0600,
    });
  });

  it('"next-change" is resolved against the schedule when set, and ends there', () => {
    const o = dnd.setOverride('1001', { state: 'off', until: 'next-change' }, SAT_0200);
    expect(o).toMatchObject({ mode: 'next-change', until: SAT_0600, previousStatus: { dnd: true, reason: 'schedule', ruleId: 'fri-night' } });
    expect(dnd.status('1001', SAT_0600 - 1)).toMatchObject({ dnd: false, reason: 'override' });
    expect(dnd.status('1001', SAT_0600)).toMatchObject({ dnd: false, reason: 'none' });
    // later rule edits do not move an override that is already set
    dnd.removeRule('fri-night');
    expect(dnd.override('1001')?.until).toBe(SAT_0600);
  });

  it('"next-change" is refused when nothing is scheduled', () => {
    expect(() => dnd.setOverride('5555', { state: 'on', until: 'next-change' }, SAT_0200)).toThrow(/^until: /);
    expect(() => dnd.setOverride('1001', { state: 'on', until: SAT_0200 - 1 }, SAT_0200)).toThrow(/until: must be in the future/);
  });

  it('replacing an active override keeps the first previous status; expired overrides can be pruned', () => {
    dnd.setOverride('1001', { state: 'on', until: SAT_0300 }, SAT_0200 - 3 * 3_600_000); // set Friday 23:00, inside fri-night
    const second = dnd.setOverride('1001', { state: 'on', until: null }, SAT_0200);
    expect(second.previousStatus).toEqual({ dnd: true, reason: 'schedule', ruleId: 'fri-night' });
    dnd.setOverride('1002', { state: 'on', until: SAT_0300 }, SAT_0200);
    expect(dnd.pruneExpiredOverrides(SAT_0300).map((o) => o.extension)).toEqual(['1002']);
    expect(dnd.overrides().map((o) => o.extension)).toEqual(['1001']);
  });

  it('restores stored overrides as they were', () => {
    const o = dnd.setOverride('1001', { state: 'on', until: SAT_0700, note: 'holiday' }, SAT_0200);
    const other = new DndService({ defaultTimezone: 'Europe/Berlin' });
    other.replaceOverrides([JSON.parse(JSON.stringify(o))]);
    expect(other.override('1001')).toEqual(o);
    expect(() => other.replaceOverrides([{ ...o, state: 'sometimes' }])).toThrow(/overrides\[0\]\.state/);
  });
});

describe('calendars', () => {
  beforeEach(() => {
    dnd.replaceRules([{ id: 'thu', extension: '2002', days: [4], start: '12:30', end: '13:15', timezone: 'UTC' }]);
    dnd.setCalendar('alice-work', '2002', parseCalendar(fixture('alice.ics'), { attendees: ['alice@example.com'] }));
  });

  it('a busy event puts the extension in DND with the event as reason', () => {
    expect(dnd.status('2002', at('2025-03-13T17:30Z'))).toEqual({
      extension: '2002',
      at: at('2025-03-13T17:30Z'),
      dnd: true,
      reason: 'calendar',
      calendarId: 'alice-work',
      eventUid: 'floating@sipwarden.test',
      eventSummary: 'Gym',
      since: at('2025-03-13T17:00Z'),
      until: at('2025-03-13T18:00Z'),
    });
    // private: no summary; declined and transparent events do not count
    expect(dnd.status('2002', at('2025-03-13T07:30Z'))).toMatchObject({ reason: 'calendar', eventUid: 'doctor@sipwarden.test' });
    expect(dnd.status('2002', at('2025-03-13T07:30Z')).eventSummary).toBeUndefined();
    expect(dnd.status('2002', at('2025-03-13T13:45Z')).dnd).toBe(false); // declined budget review
    expect(dnd.status('2002', at('2025-03-13T11:30Z')).dnd).toBe(false); // transparent lunch
  });

  it('schedule and calendar windows that touch or overlap form one DND; the schedule is the reason where both apply', () => {
    // rule 12:30-13:15 UTC, call 13:00-13:30 UTC
    expect(dnd.status('2002', at('2025-03-13T12:45Z'))).toMatchObject({ reason: 'schedule', ruleId: 'thu', until: at('2025-03-13T13:30Z') });
    expect(dnd.status('2002', at('2025-03-13T13:20Z'))).toMatchObject({
      reason: 'calendar',
      eventSummary: 'Call with New York',
      since: at('2025-03-13T12:30Z'),
      until: at('2025-03-13T13:30Z'),
    });
  });

  it('an all-day event covers the local day; detaching the calendar ends it', () => {
    expect(dnd.status('2002', at('2025-03-14T22:30Z'))).toMatchObject({ reason: 'calendar', eventSummary: 'Offsite', until: at('2025-03-14T23:00Z') });
    dnd.setCalendar('alice-work', '2002', null);
    expect(dnd.status('2002', at('2025-03-14T22:30Z')).dnd).toBe(false);
  });

  it('warm() expands ahead of time; calendars() reports it', () => {
    expect(dnd.calendars('2002')[0]!.lastExpansion).toBeNull();
    dnd.warm(at('2025-03-13T00:00Z'));
    const exp = dnd.calendars('2002')[0]!.lastExpansion!;
    expect(exp.truncated).toBe(false);
    expect(exp.problems).toEqual([]);
    expect(exp.from).toBeLessThanOrEqual(at('2025-03-13T00:00Z'));
  });
});

describe('decideInvite', () => {
  beforeEach(() => {
    dnd.replaceExceptions([
      { id: 'emergency', extension: null, pattern: '911' },
      { id: 'family', extension: '1001', pattern: '+4930*' },
    ]);
  });

  it('lets calls ring when not in DND', () => {
    expect(dnd.decideInvite('1001', '+4989123', FRI_2159, false)).toBeNull();
  });

  it('answers 486 with Retry-After = seconds until DND ends, rounded up', () => {
    const t = SAT_0300 + 250; // 3 h minus 250 ms before the end
    const d = dnd.decideInvite('1001', '+4989123', t, false);
    expect(d).toMatchObject({ status: 486, reason: 'Do Not Disturb', retryAfterSeconds: 3 * 3600, dndStatus: { reason: 'schedule', until: SAT_0600 } });
    expect(dndRejectVerdict(d!)).toEqual({ kind: 'reject', cause: 'dnd', status: 486, reason: 'Do Not Disturb', headers: { 'Retry-After': '10800' } });
    expect(dnd.decideInvite('1001', 'x', SAT_0600 - 1, false)?.retryAfterSeconds).toBe(1);
  });

  it('no Retry-After when the end is unknown (permanent override)', () => {
    dnd.setOverride('1001', { state: 'on', until: null }, FRI_1500);
    const d = dnd.decideInvite('1001', '+4989123', FRI_1500 + 1000, false);
    expect(d).not.toBeNull();
    expect(d!.retryAfterSeconds).toBeUndefined();
    expect(dndRejectVerdict(d!).headers).toEqual({});
  });

  it('per-extension status: 480 and 603; 603 becomes 486 for queue calls', () => {
    dnd.setExtensionSettings({ extension: '1001', responseStatus: 603 });
    expect(dnd.decideInvite('1001', 'x', SAT_0300, false)?.status).toBe(603);
    expect(dnd.decideInvite('1001', 'x', SAT_0300, true)?.status).toBe(486);
    dnd.setExtensionSettings({ extension: '1001', responseStatus: 480 });
    expect(dnd.decideInvite('1001', 'x', SAT_0300, true)?.status).toBe(480);
    expect(() => dnd.setExtensionSettings({ extension: '1001', responseStatus: 404 })).toThrow(/responseStatus: must be 486, 480 or 603/);
    const queueDefault = new DndService({ defaultResponseStatus: 603 });
    queueDefault.setOverride('7', { state: 'on', until: null }, 0);
    expect(queueDefault.decideInvite('7', 'x', 1, true)?.status).toBe(486);
    expect(queueDefault.decideInvite('7', 'x', 1, false)?.status).toBe(603);
  });

  it('exceptions get through, globally and per extension, by From or P-Asserted-Identity', () => {
    expect(dnd.decideInvite('1001', '911', SAT_0300, false)).toBeNull();
    expect(dnd.decideInvite('1001', '+49 30 555 1234', SAT_0300, false)).toBeNull();
    expect(dnd.decideInvite('1001', ['anonymous', 'sip:+4930555@trunk'], SAT_0300, false)).toBeNull();
    const ev = dnd.evaluateInvite('1001', '911', SAT_0300, false);
    expect(ev.bypassedBy?.id).toBe('emergency');
    expect(ev.status.dnd).toBe(true);
    // the family prefix is only for 1001
    dnd.setOverride('1002', { state: 'on', until: null }, SAT_0200);
    expect(dnd.decideInvite('1002', '+4930555', SAT_0300, false)?.status).toBe(486);
    expect(dnd.removeException('family')).toBe(true);
    expect(dnd.decideInvite('1001', '+4930555', SAT_0300, false)?.status).toBe(486);
  });

  it('Retry-After can be disabled or capped', () => {
    const capped = new DndService({ defaultTimezone: 'Europe/Berlin', maxRetryAfterSeconds: 600 });
    capped.upsertRule({ id: 'n', extension: '1', days: [5], start: '22:00', end: '06:00' });
    expect(capped.decideInvite('1', 'x', SAT_0300, false)?.retryAfterSeconds).toBe(600);
    const none = new DndService({ defaultTimezone: 'Europe/Berlin', retryAfter: false });
    none.upsertRule({ id: 'n', extension: '1', days: [5], start: '22:00', end: '06:00' });
    expect(none.decideInvite('1', 'x', SAT_0300, false)).not.toHaveProperty('retryAfterSeconds');
  });
});

describe('statusAll', () => {
  it('lists every extension with DND data, sorted', () => {
    dnd.setOverride('0999', { state: 'on', until: null }, FRI_1500);
    dnd.setExtensionSettings({ extension: '1500', responseStatus: 480 });
    const all = dnd.statusAll(SAT_0300);
    expect(all.map((s) => [s.extension, s.dnd, s.reason])).toEqual([
      ['0999', true, 'override'],
      ['1001', true, 'schedule'],
      ['1500', false, 'none'],
    ]);
  });
});

describe('construction', () => {
  it('refuses bad options, naming them', () => {
    expect(() => new DndService({ defaultTimezone: 'Nowhere' })).toThrow(/defaultTimezone/);
    expect(() => new DndService({ horizonMs: 1000 })).toThrow(/horizonMs/);
  });
});
