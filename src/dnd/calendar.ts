/**
 * iCalendar (.ics) -> busy intervals. Pure (no I/O, no clock); the only module that imports ical.js.
 *
 * parseCalendar(text) parses once into an opaque CalendarSnapshot; busyIntervals(snapshot, from, to)
 * expands it for a window. Recurrence (RRULE, RDATE), moved/changed occurrences (RECURRENCE-ID,
 * including RANGE=THISANDFUTURE) and VTIMEZONE conversion are ical.js's; this module adds:
 *
 * - Busy or not, per occurrence (an overridden occurrence is judged by its own properties):
 *   not busy when STATUS:CANCELLED, TRANSP:TRANSPARENT, X-MICROSOFT-CDO-BUSYSTATUS:FREE, or an
 *   ATTENDEE matching one of the configured addresses has PARTSTAT=DECLINED. Everything else
 *   (tentative, needs-action, no attendees) is busy. Zero-length events are never busy.
 * - Times: UTC ("Z") as is; TZID defined by a VTIMEZONE in the file -> that VTIMEZONE (RFC 5545);
 *   TZID without a VTIMEZONE -> the IANA zone of that name if the runtime knows it; floating times
 *   and unknown TZIDs -> the calendar zone.
 * - The calendar zone: options.timezone (the extension's zone from config), else X-WR-TIMEZONE,
 *   else UTC. All-day events (DATE values) are busy from local midnight of their first day to local
 *   midnight after their last day (DTEND exclusive; one day when absent) in the calendar zone.
 *   Most calendar apps mark all-day events as free (TRANSP:TRANSPARENT / BUSYSTATUS:FREE), so
 *   birthdays and holidays do not silence a phone; options.ignoreAllDay drops them all.
 * - EXDATE is re-applied as a set on top of ical.js: ical.js 2.2.1 misses an EXDATE that follows two
 *   EXDATEs matching no occurrence (stale EXDATEs are normal after a series is moved).
 * - Summaries are withheld (null) for CLASS:PRIVATE / CONFIDENTIAL events.
 *
 * Bounds, so a hostile or broken feed cannot hang the daemon (see CalendarLimits):
 * the number of VEVENTs; a CPU-time fuse on parsing and on each expansion (cpu-fuse.ts - ical.js
 * loops forever on e.g. FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30); recurrence steps per series per
 * expansion; intervals per expansion; the window length. A series that throws or blows the fuse is
 * marked broken in its snapshot and skipped from then on (reported in `problems`).
 *
 * Speed: long-running series without COUNT are fast-forwarded to just before the window by whole
 * multiples of their period (the recurrence lattice is unchanged, so ical.js yields the same
 * occurrences), instead of being iterated from a DTSTART years ago.
 */
import ICAL from 'ical.js';
import { TimeLimitExceededError, runWithTimeLimit } from './cpu-fuse.js';
import { DAY_MS, canonicalTimeZone, formatCivilDate, wallClockToInstant } from './zoned-time.js';

type IcalComponent = ICAL.Component;
type IcalEvent = ICAL.Event;
type IcalTime = ICAL.Time;
type IcalProperty = ICAL.Property;

export interface CalendarLimits {
  /** VEVENT components accepted; more is a CalendarParseError. */
  readonly maxEvents: number;
  /** Recurrence steps per series per expansion before the series is cut short (truncated). */
  readonly maxStepsPerSeries: number;
  /** Busy intervals returned by one expansion (truncated beyond). */
  readonly maxIntervals: number;
  /** Longest window one expansion covers (truncated beyond). */
  readonly maxWindowMs: number;
  /** CPU fuse for parseCalendar. */
  readonly parseTimeLimitMs: number;
  /** CPU fuse for one series in one expansion; a series that alone exceeds it is marked broken. */
  readonly seriesTimeLimitMs: number;
}

export const DEFAULT_CALENDAR_LIMITS: Readonly<CalendarLimits> = Object.freeze({
  maxEvents: 50_000,
  maxStepsPerSeries: 5_000,
  maxIntervals: 20_000,
  maxWindowMs: 400 * DAY_MS,
  parseTimeLimitMs: 2_000,
  seriesTimeLimitMs: 250,
});

export interface CalendarParseOptions {
  /** Zone for all-day (DATE) values and floating times; wins over X-WR-TIMEZONE. Default: X-WR-TIMEZONE, else UTC. */
  readonly timezone?: string | null;
  /** The extension owner's addresses ("alice@example.com" or "mailto:..."); their PARTSTAT=DECLINED frees the event. */
  readonly attendees?: readonly string[];
  /** Drop all-day events entirely. Default false. */
  readonly ignoreAllDay?: boolean;
  readonly limits?: Partial<CalendarLimits>;
  /** Fast-forward long series (default true). Off only to check the fast path against the slow one. */
  readonly fastForward?: boolean;
}

/** A parsed calendar. Opaque: expand it with busyIntervals(). Plain metadata only. */
export interface CalendarSnapshot {
  /** X-WR-CALNAME, if any. */
  readonly name: string | null;
  /** The zone used for all-day and floating times. */
  readonly timezone: string;
  /** VEVENT components in the file. */
  readonly eventCount: number;
  /** Recurring series among them. */
  readonly seriesCount: number;
  /** Events skipped while parsing (bad dates and the like), at most 20 listed. */
  readonly warnings: readonly string[];
}

export interface BusyInterval {
  /** Inclusive, ms. */
  readonly start: number;
  /** Exclusive, ms. */
  readonly end: number;
  readonly uid: string;
  /** null when absent or private. */
  readonly summary: string | null;
  readonly allDay: boolean;
}

export interface BusyIntervals {
  readonly from: number;
  /** May be smaller than requested when the window was capped (then `truncated`). */
  readonly to: number;
  /** Sorted by start, then end. Intervals overlap the window but are not clipped to it. */
  readonly intervals: readonly BusyInterval[];
  /** Some occurrences may be missing (a limit was hit). */
  readonly truncated: boolean;
  /** Series skipped because they are broken (error, or too slow). */
  readonly problems: readonly string[];
}

export class CalendarParseError extends Error {
  override readonly name = 'CalendarParseError';
}

interface Info {
  readonly busy: boolean;
  readonly summary: string | null;
}

interface FastForward {
  readonly freq: string;
  readonly interval: number;
  /** Move the new start to day 1 of its month (MONTHLY with explicit days: avoids day 31 spilling into the next month). */
  readonly firstOfMonth: boolean;
}

interface Series {
  readonly uid: string;
  readonly event: IcalEvent;
  readonly info: Info;
  readonly allDay: boolean;
  readonly hint: string | null;
  readonly startMs: number;
  readonly durationMs: number;
  readonly exdates: ReadonlySet<number>;
  readonly exdateDays: ReadonlySet<string>;
  readonly fastForward: FastForward | null;
  readonly itemInfo: Map<IcalEvent, Info>;
  readonly itemHint: Map<IcalEvent, string | null>;
}

interface Internal {
  readonly zone: string;
  readonly limits: CalendarLimits;
  readonly attendees: ReadonlySet<string>;
  readonly ignoreAllDay: boolean;
  readonly singles: readonly BusyInterval[];
  readonly maxSingleMs: number;
  readonly series: readonly Series[];
  readonly broken: Map<Series, string>;
}

const internals = new WeakMap<CalendarSnapshot, Internal>();

const MAX_WARNINGS = 20;
const MAX_SUMMARY = 200;

function resolveLimits(partial: Partial<CalendarLimits> | undefined): CalendarLimits {
  const limits = { ...DEFAULT_CALENDAR_LIMITS, ...partial };
  for (const [k, v] of Object.entries(limits)) {
    if (typeof v !== 'number' || !(v > 0)) throw new RangeError(`calendar limit ${k} must be a positive number`);
  }
  return limits;
}

/**
 * Parse .ics text. Throws CalendarParseError (never anything else for bad input) when the text is
 * not iCalendar, has too many events, or takes too long; individual bad events become warnings.
 */
export function parseCalendar(text: string, options: CalendarParseOptions = {}): CalendarSnapshot {
  const limits = resolveLimits(options.limits);
  let zoneOption: string | null = null;
  if (options.timezone !== undefined && options.timezone !== null) {
    zoneOption = canonicalTimeZone(options.timezone);
    if (zoneOption === null) throw new RangeError(`unknown IANA time zone ${JSON.stringify(options.timezone)}`);
  }
  if (typeof text !== 'string') throw new CalendarParseError('calendar text must be a string');
  try {
    return runWithTimeLimit(() => parseNow(text, options, limits, zoneOption), limits.parseTimeLimitMs);
  } catch (err) {
    if (err instanceof CalendarParseError) throw err;
    if (err instanceof TimeLimitExceededError) {
      throw new CalendarParseError(`calendar took longer than ${limits.parseTimeLimitMs} ms to parse; refused`);
    }
    throw new CalendarParseError(`not a valid iCalendar file: ${messageOf(err)}`);
  }
}

function parseNow(text: string, options: CalendarParseOptions, limits: CalendarLimits, zoneOption: string | null): CalendarSnapshot {
  if (!/^\s*BEGIN:VCALENDAR/i.test(text)) throw new CalendarParseError('not an iCalendar file (no BEGIN:VCALENDAR at the start)');
  let jcal: unknown;
  try {
    jcal = ICAL.parse(text);
  } catch (err) {
    throw new CalendarParseError(`not a valid iCalendar file: ${messageOf(err)}`);
  }
  const roots: IcalComponent[] = [];
  const tops = Array.isArray(jcal) && Array.isArray(jcal[0]) ? (jcal as unknown[]) : [jcal];
  for (const top of tops) {
    const c = new ICAL.Component(top as unknown[]);
    if (c.name === 'vcalendar') roots.push(c);
  }
  if (roots.length === 0) throw new CalendarParseError('not an iCalendar file (no VCALENDAR component)');
  for (const root of roots) trimTimezoneHistory(root);

  const vevents = roots.flatMap((r) => r.getAllSubcomponents('vevent'));
  if (vevents.length > limits.maxEvents) {
    throw new CalendarParseError(`calendar has ${vevents.length} events, more than the limit of ${limits.maxEvents}`);
  }
  const first = roots[0]!;
  const xwrZone = canonicalTimeZone(textProp(first, 'x-wr-timezone'));
  const zone = zoneOption ?? xwrZone ?? 'UTC';
  const attendees = new Set((options.attendees ?? []).map(normalizeAddress).filter((a) => a !== ''));
  const ignoreAllDay = options.ignoreAllDay === true;
  const fastForward = options.fastForward !== false;

  const warnings: string[] = [];
  let warningCount = 0;
  const warn = (msg: string): void => {
    warningCount++;
    if (warnings.length < MAX_WARNINGS) warnings.push(msg);
  };

  // Group by UID: masters (no RECURRENCE-ID) and their exceptions.
  const groups = new Map<string, { masters: IcalComponent[]; exceptions: IcalComponent[] }>();
  let anonymous = 0;
  for (const ve of vevents) {
    const uid = textProp(ve, 'uid') ?? `(no uid ${++anonymous})`;
    let g = groups.get(uid);
    if (!g) groups.set(uid, (g = { masters: [], exceptions: [] }));
    (ve.hasProperty('recurrence-id') ? g.exceptions : g.masters).push(ve);
  }

  const ctx = { zone, attendees, ignoreAllDay };
  const singles: BusyInterval[] = [];
  const series: Series[] = [];
  for (const [uid, g] of groups) {
    let seriesMaster: IcalComponent | null = null;
    for (const m of g.masters) {
      try {
        if (seriesMaster === null && (m.hasProperty('rrule') || m.hasProperty('rdate'))) {
          seriesMaster = m;
          const s = buildSeries(uid, m, g.exceptions, ctx, fastForward, warn);
          if (s) series.push(s);
        } else {
          const ev = new ICAL.Event(m, { exceptions: [] });
          const single = singleInterval(uid, ev, ctx);
          if (single) singles.push(single);
        }
      } catch (err) {
        warn(`event ${uid}: skipped (${messageOf(err)})`);
      }
    }
    // Every overridden occurrence is an event in its own right (also orphans whose master is not in the feed).
    for (const x of g.exceptions) {
      try {
        const ev = new ICAL.Event(x, { exceptions: [] });
        const single = singleInterval(uid, ev, ctx);
        if (single) singles.push(single);
      } catch (err) {
        warn(`event ${uid} (changed occurrence): skipped (${messageOf(err)})`);
      }
    }
  }
  if (warningCount > warnings.length) warnings.push(`... and ${warningCount - warnings.length} more`);
  singles.sort(byStart);

  const snapshot: CalendarSnapshot = Object.freeze({
    name: textProp(first, 'x-wr-calname'),
    timezone: zone,
    eventCount: vevents.length,
    seriesCount: series.length,
    warnings: Object.freeze(warnings),
  });
  internals.set(snapshot, {
    zone,
    limits,
    attendees,
    ignoreAllDay,
    singles,
    maxSingleMs: singles.reduce((m, s) => Math.max(m, s.end - s.start), 0),
    series,
    broken: new Map(),
  });
  return snapshot;
}

interface ParseContext {
  readonly zone: string;
  readonly attendees: ReadonlySet<string>;
  readonly ignoreAllDay: boolean;
}

function buildSeries(
  uid: string,
  master: IcalComponent,
  exceptions: readonly IcalComponent[],
  ctx: ParseContext,
  fastForward: boolean,
  warn: (msg: string) => void,
): Series | null {
  const event = new ICAL.Event(master, { strictExceptions: true, exceptions: [] });
  for (const x of exceptions) {
    try {
      event.relateException(x);
    } catch (err) {
      warn(`event ${uid}: changed occurrence ignored (${messageOf(err)})`);
    }
  }
  const start = event.startDate;
  if (!start) throw new Error('no DTSTART');
  const allDay = start.isDate;
  if (allDay && ctx.ignoreAllDay) return null;
  const hint = zoneHint(master.getFirstProperty('dtstart'));
  const startMs = instantOf(start, hint, ctx.zone);
  const durationMs = instantOf(event.endDate, zoneHint(master.getFirstProperty('dtend')) ?? hint, ctx.zone) - startMs;

  const exdates = new Set<number>();
  const exdateDays = new Set<string>();
  for (const prop of master.getAllProperties('exdate')) {
    const propHint = zoneHint(prop) ?? hint;
    for (const v of prop.getValues() as unknown[]) {
      if (!(v instanceof ICAL.Time)) continue;
      if (v.isDate) exdateDays.add(dayKey(v));
      else exdates.add(instantOf(v, propHint, ctx.zone));
    }
  }

  const info = infoOf(event, ctx);
  const itemInfo = new Map<IcalEvent, Info>([[event, info]]);
  const itemHint = new Map<IcalEvent, string | null>([[event, hint]]);
  return {
    uid,
    event,
    info,
    allDay,
    hint,
    startMs,
    durationMs: Math.max(0, durationMs),
    exdates,
    exdateDays,
    fastForward: fastForward ? fastForwardOf(master, start) : null,
    itemInfo,
    itemHint,
  };
}

/**
 * VTIMEZONE rules exported by Outlook/Exchange start in 1601, and ical.js expands every transition
 * from DTSTART on (again from scratch whenever a later year is needed): ~40 ms per zone per parse.
 * A yearly rule without COUNT gives the same transitions from 1970 on when re-anchored at 1970,
 * and nothing before 1970 matters for DND.
 */
function trimTimezoneHistory(root: IcalComponent): void {
  for (const vtz of root.getAllSubcomponents('vtimezone')) {
    for (const part of vtz.getAllSubcomponents()) {
      const dtstartProp = part.getFirstProperty('dtstart');
      const rrules = part.getAllProperties('rrule');
      if (!dtstartProp || rrules.length !== 1) continue;
      const dtstart = dtstartProp.getFirstValue();
      const rule = rrules[0]!.getFirstValue();
      if (!(dtstart instanceof ICAL.Time) || !(rule instanceof ICAL.Recur)) continue;
      if (rule.freq !== 'YEARLY' || rule.count || dtstart.year >= 1970 || (dtstart.month === 2 && dtstart.day === 29)) continue;
      if (rule.until && rule.until.year < 1970) continue;
      const moved = dtstart.clone();
      moved.year = 1970;
      dtstartProp.setValue(moved);
    }
  }
}

/**
 * Fast-forward is exact only when no occurrence count has to be kept and the period is fixed.
 * Everything before the new start is dropped, and the new start is always well before the window, so
 * only the period index must be preserved. MONTHLY/YEARLY rules whose day comes from DTSTART itself
 * (no BYDAY/BYMONTHDAY) cannot move a day 29-31 or 29 February start without changing that day.
 */
function fastForwardOf(master: IcalComponent, start: IcalTime): FastForward | null {
  const rules = master.getAllProperties('rrule');
  if (rules.length !== 1) return null;
  const rule = rules[0]!.getFirstValue();
  if (!(rule instanceof ICAL.Recur) || rule.count || !rule.freq) return null;
  const interval = rule.interval > 0 ? rule.interval : 1;
  const parts = rule.parts as Record<string, unknown> | null;
  const explicitDays = !!parts && (parts.BYDAY !== undefined || parts.BYMONTHDAY !== undefined);
  switch (rule.freq) {
    case 'SECONDLY':
    case 'MINUTELY':
    case 'HOURLY':
    case 'DAILY':
    case 'WEEKLY':
      return { freq: rule.freq, interval, firstOfMonth: false };
    case 'MONTHLY':
      if (explicitDays) return { freq: rule.freq, interval, firstOfMonth: true };
      return start.day <= 28 ? { freq: rule.freq, interval, firstOfMonth: false } : null;
    case 'YEARLY':
      return start.month === 2 && start.day === 29 ? null : { freq: rule.freq, interval, firstOfMonth: false };
    default:
      return null;
  }
}

const PERIOD_MS: Readonly<Record<string, number>> = {
  SECONDLY: 1000,
  MINUTELY: 60_000,
  HOURLY: 3_600_000,
  DAILY: DAY_MS,
  WEEKLY: 7 * DAY_MS,
  // Upper bounds, so the jump never overshoots.
  MONTHLY: 31 * DAY_MS,
  YEARLY: 366 * DAY_MS,
};

/** A start for ical.js's iterator at a whole number of periods after DTSTART, safely before `from`. */
function fastForwardStart(s: Series, from: number): IcalTime | null {
  const ff = s.fastForward;
  if (!ff) return null;
  const target = from - s.durationMs - 2 * DAY_MS;
  const period = PERIOD_MS[ff.freq]! * ff.interval;
  const k = Math.floor((target - s.startMs) / period);
  if (!(k > 0)) return null;
  const t = s.event.startDate.clone();
  const n = k * ff.interval;
  switch (ff.freq) {
    case 'SECONDLY':
      t.adjust(0, 0, 0, n);
      break;
    case 'MINUTELY':
      t.adjust(0, 0, n, 0);
      break;
    case 'HOURLY':
      t.adjust(0, n, 0, 0);
      break;
    case 'DAILY':
      t.adjust(n, 0, 0, 0);
      break;
    case 'WEEKLY':
      t.adjust(7 * n, 0, 0, 0);
      break;
    case 'MONTHLY': {
      const months = t.year * 12 + (t.month - 1) + n;
      if (ff.firstOfMonth) t.day = 1;
      t.year = Math.floor(months / 12);
      t.month = (months % 12) + 1;
      break;
    }
    case 'YEARLY':
      t.year = t.year + n;
      break;
  }
  return t;
}

function singleInterval(uid: string, ev: IcalEvent, ctx: ParseContext): BusyInterval | null {
  const start = ev.startDate;
  if (!start) throw new Error('no DTSTART');
  if (start.isDate && ctx.ignoreAllDay) return null;
  const info = infoOf(ev, ctx);
  if (!info.busy) return null;
  const hint = zoneHint(ev.component.getFirstProperty('dtstart'));
  const startMs = instantOf(start, hint, ctx.zone);
  const endMs = instantOf(ev.endDate, zoneHint(ev.component.getFirstProperty('dtend')) ?? hint, ctx.zone);
  if (!(endMs > startMs)) return null;
  return { start: startMs, end: endMs, uid, summary: info.summary, allDay: start.isDate };
}

/**
 * Busy intervals overlapping [from, to), sorted. Never throws for calendar content; broken series
 * are reported in `problems` and skipped.
 */
export function busyIntervals(snapshot: CalendarSnapshot, from: number, to: number): BusyIntervals {
  const internal = internals.get(snapshot);
  if (!internal) throw new TypeError('not a CalendarSnapshot from parseCalendar()');
  const { limits } = internal;
  let truncated = false;
  if (to - from > limits.maxWindowMs) {
    to = from + limits.maxWindowMs;
    truncated = true;
  }
  const out: BusyInterval[] = [];
  if (!(to > from)) return { from, to: from, intervals: out, truncated, problems: [] };

  // Single events: sorted by start; anything overlapping starts at most maxSingleMs before `from`.
  const singles = internal.singles;
  let lo = 0;
  let hi = singles.length;
  const lowest = from - internal.maxSingleMs;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (singles[mid]!.start < lowest) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < singles.length && singles[i]!.start < to; i++) {
    const s = singles[i]!;
    if (s.end > from) out.push(s);
  }

  // Series, under the CPU fuse. A run of series restarts after a timeout; only a series that blows
  // the fuse on its own (first in its run) is marked broken.
  const list = internal.series.filter((s) => !internal.broken.has(s));
  let i = 0;
  while (i < list.length && out.length < limits.maxIntervals) {
    const runFirst = i;
    let current = i;
    let mark = out.length;
    try {
      runWithTimeLimit(() => {
        for (; current < list.length && out.length < limits.maxIntervals; current++) {
          mark = out.length;
          try {
            if (expandSeries(list[current]!, from, to, internal, out)) truncated = true;
          } catch (err) {
            out.length = mark;
            internal.broken.set(list[current]!, messageOf(err));
          }
        }
      }, limits.seriesTimeLimitMs);
      i = list.length;
    } catch (err) {
      out.length = mark;
      if (!(err instanceof TimeLimitExceededError)) throw err;
      if (current === runFirst) {
        internal.broken.set(list[current]!, `recurrence expansion took longer than ${limits.seriesTimeLimitMs} ms`);
        i = current + 1;
      } else i = current;
    }
  }
  if (out.length >= limits.maxIntervals) {
    out.length = limits.maxIntervals;
    truncated = true;
  }
  out.sort(byStart);
  const problems = [...internal.broken].map(([s, why]) => `event ${s.uid}: recurrence skipped (${why})`);
  return { from, to, intervals: out, truncated, problems };
}

/** Returns true when the series was cut short by maxStepsPerSeries. */
function expandSeries(s: Series, from: number, to: number, internal: Internal, out: BusyInterval[]): boolean {
  const { zone, limits } = internal;
  const it = s.event.iterator(fastForwardStart(s, from) ?? undefined);
  let steps = 0;
  for (let occ = it.next(); occ; occ = it.next()) {
    if (++steps > limits.maxStepsPerSeries) return true;
    const occMs = instantOf(occ, s.hint, zone);
    if (occMs >= to) break;
    if (occMs + s.durationMs + 2 * DAY_MS < from) continue; // cannot overlap; skip the details
    if (s.exdates.has(occMs) || (s.exdateDays.size > 0 && s.exdateDays.has(dayKey(occ)))) continue;
    const details = s.event.getOccurrenceDetails(occ);
    const item = details.item;
    // A directly overridden occurrence is emitted from the exception itself (see parse).
    if (item !== s.event && item.recurrenceId && item.recurrenceId.compare(occ) === 0) continue;
    let info = s.itemInfo.get(item);
    if (!info) s.itemInfo.set(item, (info = infoOf(item, internal)));
    if (!info.busy) continue;
    let hint = s.itemHint.get(item);
    if (hint === undefined) s.itemHint.set(item, (hint = zoneHint(item.component.getFirstProperty('dtstart')) ?? s.hint));
    const start = details.startDate === occ ? occMs : instantOf(details.startDate, hint, zone);
    const end = instantOf(details.endDate, hint, zone);
    if (end <= from || end <= start || start >= to) continue;
    out.push({ start, end, uid: s.uid, summary: info.summary, allDay: s.allDay });
    if (out.length >= limits.maxIntervals) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Properties and time conversion

function infoOf(ev: IcalEvent, ctx: { readonly attendees: ReadonlySet<string> }): Info {
  const c = ev.component;
  const status = textProp(c, 'status')?.toUpperCase();
  const transp = textProp(c, 'transp')?.toUpperCase();
  const msBusy = textProp(c, 'x-microsoft-cdo-busystatus')?.toUpperCase();
  let busy = status !== 'CANCELLED' && transp !== 'TRANSPARENT' && msBusy !== 'FREE';
  if (busy && ctx.attendees.size > 0) {
    for (const a of c.getAllProperties('attendee')) {
      const addr = a.getFirstValue();
      if (typeof addr !== 'string' || !ctx.attendees.has(normalizeAddress(addr))) continue;
      const partstat = a.getFirstParameter('partstat');
      if (typeof partstat === 'string' && partstat.toUpperCase() === 'DECLINED') busy = false;
    }
  }
  const cls = textProp(c, 'class')?.toUpperCase();
  const rawSummary = textProp(c, 'summary');
  const summary = cls === 'PRIVATE' || cls === 'CONFIDENTIAL' || rawSummary === null ? null : rawSummary.slice(0, MAX_SUMMARY);
  return { busy, summary };
}

function textProp(c: IcalComponent, name: string): string | null {
  const v = c.getFirstPropertyValue(name);
  return typeof v === 'string' ? v : null;
}

function normalizeAddress(a: string): string {
  return a.trim().replace(/^mailto:/i, '').toLowerCase();
}

/** The IANA zone named by a property's TZID, used only when ical.js could not resolve it (no VTIMEZONE). */
function zoneHint(prop: IcalProperty | null): string | null {
  if (!prop) return null;
  const tzid = prop.getFirstParameter('tzid');
  return typeof tzid === 'string' ? canonicalTimeZone(tzid.replace(/^\//, '')) : null;
}

function dayKey(t: IcalTime): string {
  return formatCivilDate({ year: t.year, month: t.month, day: t.day });
}

function instantOf(t: IcalTime, hint: string | null, calendarZone: string): number {
  const date = { year: t.year, month: t.month, day: t.day };
  if (t.isDate) return wallClockToInstant(date, 0, calendarZone);
  const msOfDay = ((t.hour * 60 + t.minute) * 60 + t.second) * 1000;
  const z = t.zone;
  if (z === ICAL.Timezone.utcTimezone) return Date.UTC(t.year, t.month - 1, t.day) + msOfDay;
  if (z && z !== ICAL.Timezone.localTimezone && z.tzid !== 'floating') return t.toUnixTime() * 1000;
  return wallClockToInstant(date, msOfDay, hint ?? calendarZone);
}

function byStart(a: BusyInterval, b: BusyInterval): number {
  return a.start - b.start || a.end - b.end;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
