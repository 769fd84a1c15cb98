/**
 * Weekly DND rules: "on these weekdays, from HH:MM for this long, in this time zone".
 *
 * Model: a rule is a start time plus a duration, anchored on the weekday it STARTS on. A rule
 * "Friday 22:00-06:00" is one window from Friday 22:00 to Saturday 06:00 - the day-after part belongs
 * to Friday's window, so it exists even when Saturday is not in `days`.
 *
 * Decisions:
 * - `end` is exclusive: a 22:00-06:00 rule is over at 06:00:00.000.
 * - end == start means 24 hours (00:00-00:00 = the whole day). A zero-length rule would be useless.
 *   "24:00" is accepted as an end ("18:00-24:00" = until midnight).
 * - Longer windows (up to 7 days) can be given as `durationMinutes` instead of `end`
 *   (e.g. Friday 18:00 for 3 days 14 hours = until Monday 08:00).
 * - Wall clock, not elapsed time: start and end are local times in the rule's zone on their own
 *   days, so a rule keeps its hours across DST; a 22:00-06:00 window lasts 7 h of real time on the
 *   spring-forward night and 9 h on the fall-back night.
 * - Skipped and repeated local times follow zoned-time.ts: a boundary happens the first time the
 *   local clock reads that time or later. A rule starting 02:30 on the spring-forward day starts at
 *   03:00 (the jump); a window wholly inside the skipped hour (02:00-03:00 that day) does not happen;
 *   in the repeated hour only the first pass counts (02:00-02:45 on the fall-back day is 45 minutes,
 *   in the earlier offset).
 * - Rules only ever mean "DND during the window". Priority (higher wins, then the earlier start, then
 *   the smaller id) decides which overlapping rule is reported as the reason; a disabled rule is
 *   ignored entirely.
 */
import { Timeline, type TimelineWindow } from './timeline.js';
import {
  DndValidationError,
  checkIdentifier,
  isRecord,
  type ValidationIssue,
  type ValidationResult,
} from './types.js';
import {
  DAY_MS,
  MINUTE_MS,
  addDays,
  canonicalTimeZone,
  formatCivilDate,
  isoWeekdayOfCivil,
  localDateTime,
  wallClockToInstant,
  type IsoWeekday,
} from './zoned-time.js';

export type { IsoWeekday } from './zoned-time.js';

/** What an API or config file supplies. */
export interface WeeklyRuleInput {
  readonly id: string;
  readonly extension: string;
  /** ISO weekday numbers (Monday = 1 ... Sunday = 7) or names ("mon", "Monday", "MO"). */
  readonly days: readonly (number | string)[];
  /** "HH:MM", 00:00-23:59. */
  readonly start: string;
  /** "HH:MM" or "24:00"; exclusive; end == start means 24 h. Give `end` or `durationMinutes`. */
  readonly end?: string;
  /** 1-10080 (7 days). Authoritative when given; `end`, if also given, must agree. */
  readonly durationMinutes?: number;
  /** IANA zone; the caller's default (config) when absent. */
  readonly timezone?: string | null;
  /** Higher wins among overlapping rules; integer, default 0. */
  readonly priority?: number;
  /** Default true. */
  readonly enabled?: boolean;
  readonly label?: string | null;
}

/** A validated, normalised rule (what persistence stores: start + durationMinutes; `end` is derived). */
export interface WeeklyRule {
  readonly id: string;
  readonly extension: string;
  /** Sorted, unique. */
  readonly days: readonly IsoWeekday[];
  /** "HH:MM" */
  readonly start: string;
  readonly durationMinutes: number;
  /** Local wall-clock time the window ends ("HH:MM"), derived from start + duration. */
  readonly end: string;
  /** Canonical IANA name. */
  readonly timezone: string;
  readonly priority: number;
  readonly enabled: boolean;
  readonly label: string | null;
}

/** One occurrence of a rule. */
export interface RuleWindow {
  readonly ruleId: string;
  readonly priority: number;
  /** Inclusive, ms. */
  readonly start: number;
  /** Exclusive, ms. */
  readonly end: number;
  /** The local date (YYYY-MM-DD, rule's zone) the window starts on; its weekday is one of the rule's days. */
  readonly localDate: string;
}

export interface WeeklyRuleOptions {
  /** Zone for rules without one (from config). */
  readonly defaultTimezone: string;
}

export const MAX_RULE_DURATION_MINUTES = 7 * 24 * 60;

const DAY_NAMES: Readonly<Record<string, IsoWeekday>> = {
  mo: 1, mon: 1, monday: 1,
  tu: 2, tue: 2, tues: 2, tuesday: 2,
  we: 3, wed: 3, wednesday: 3,
  th: 4, thu: 4, thur: 4, thurs: 4, thursday: 4,
  fr: 5, fri: 5, friday: 5,
  sa: 6, sat: 6, saturday: 6,
  su: 7, sun: 7, sunday: 7,
};

const HH_MM = /^(\d{1,2}):(\d{2})$/;

function parseClock(value: unknown, field: string, issues: ValidationIssue[], allow24: boolean): number | null {
  if (typeof value !== 'string') {
    issues.push({ field, message: 'must be a time "HH:MM"' });
    return null;
  }
  const m = HH_MM.exec(value.trim());
  const h = m ? Number(m[1]) : NaN;
  const min = m ? Number(m[2]) : NaN;
  if (allow24 && h === 24 && min === 0) return 24 * 60;
  if (!m || h > 23 || min > 59) {
    issues.push({ field, message: `must be a time "HH:MM" between 00:00 and ${allow24 ? '24:00' : '23:59'}, got ${JSON.stringify(value)}` });
    return null;
  }
  return h * 60 + min;
}

export function formatClock(minuteOfDay: number): string {
  const m = ((minuteOfDay % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

function parseDay(value: unknown): IsoWeekday | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 && value <= 7 ? (value as IsoWeekday) : null;
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (/^[1-7]$/.test(s)) return Number(s) as IsoWeekday;
    return DAY_NAMES[s] ?? null;
  }
  return null;
}

/** Validate and normalise a rule; collects every problem instead of stopping at the first. */
export function checkWeeklyRule(input: unknown, options: WeeklyRuleOptions): ValidationResult<WeeklyRule> {
  const issues: ValidationIssue[] = [];
  if (!isRecord(input)) return { ok: false, issues: [{ field: '(rule)', message: 'must be an object' }] };

  const id = checkIdentifier(input.id, 'id', issues);
  const extension = checkIdentifier(input.extension, 'extension', issues);

  const days = new Set<IsoWeekday>();
  if (!Array.isArray(input.days)) {
    issues.push({ field: 'days', message: 'must be a list of weekdays (1-7, Monday = 1, or names)' });
  } else if (input.days.length === 0) {
    issues.push({ field: 'days', message: 'must not be empty' });
  } else {
    input.days.forEach((d: unknown, i: number) => {
      const day = parseDay(d);
      if (day === null) {
        const hint = d === 0 || d === '0' ? ' (Sunday is 7: ISO weekdays, Monday = 1)' : '';
        issues.push({ field: `days[${i}]`, message: `must be 1-7 (Monday = 1) or a weekday name, got ${JSON.stringify(d)}${hint}` });
      } else days.add(day);
    });
  }

  const startMinute = parseClock(input.start, 'start', issues, false);

  let duration: number | null = null;
  const hasEnd = input.end !== undefined && input.end !== null;
  const hasDuration = input.durationMinutes !== undefined && input.durationMinutes !== null;
  if (hasDuration) {
    const d = input.durationMinutes;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MAX_RULE_DURATION_MINUTES) {
      issues.push({ field: 'durationMinutes', message: `must be an integer from 1 to ${MAX_RULE_DURATION_MINUTES}` });
    } else duration = d;
  }
  if (hasEnd) {
    const endMinute = parseClock(input.end, 'end', issues, true);
    if (endMinute !== null && startMinute !== null) {
      const fromEnd = (endMinute - startMinute + 1440) % 1440 || 1440;
      if (duration === null && !hasDuration) duration = fromEnd;
      else if (duration !== null && (startMinute + duration) % 1440 !== endMinute % 1440) {
        issues.push({ field: 'end', message: `does not match start + durationMinutes (${formatClock(startMinute + duration)})` });
      }
    }
  } else if (!hasDuration) {
    issues.push({ field: 'end', message: 'is required ("HH:MM"; or give durationMinutes)' });
  }

  let timezone: string | null = null;
  const tzInput = input.timezone === undefined || input.timezone === null ? options.defaultTimezone : input.timezone;
  timezone = canonicalTimeZone(tzInput);
  if (timezone === null) {
    const what = input.timezone === undefined || input.timezone === null ? 'default time zone' : 'IANA time zone';
    issues.push({ field: 'timezone', message: `unknown ${what} ${JSON.stringify(tzInput)} (expected e.g. "Europe/Berlin")` });
  }

  let priority = 0;
  if (input.priority !== undefined && input.priority !== null) {
    const p = input.priority;
    if (typeof p !== 'number' || !Number.isInteger(p) || Math.abs(p) > 1_000_000) {
      issues.push({ field: 'priority', message: 'must be an integer between -1000000 and 1000000' });
    } else priority = p;
  }

  let enabled = true;
  if (input.enabled !== undefined && input.enabled !== null) {
    if (typeof input.enabled !== 'boolean') issues.push({ field: 'enabled', message: 'must be true or false' });
    else enabled = input.enabled;
  }

  let label: string | null = null;
  if (input.label !== undefined && input.label !== null) {
    if (typeof input.label !== 'string' || input.label.length > 200) {
      issues.push({ field: 'label', message: 'must be a string of at most 200 characters' });
    } else label = input.label;
  }

  if (issues.length > 0 || startMinute === null || duration === null || timezone === null) {
    return { ok: false, issues };
  }
  return {
    ok: true,
    value: Object.freeze({
      id,
      extension,
      days: Object.freeze([...days].sort((a, b) => a - b)),
      start: formatClock(startMinute),
      durationMinutes: duration,
      end: formatClock(startMinute + duration),
      timezone,
      priority,
      enabled,
      label,
    }),
  };
}

/** Validate and normalise a rule; throws DndValidationError naming every bad field. */
export function validateWeeklyRule(input: unknown, options: WeeklyRuleOptions): WeeklyRule {
  const r = checkWeeklyRule(input, options);
  if (!r.ok) throw new DndValidationError(r.issues);
  return r.value;
}

function startMinuteOf(rule: WeeklyRule): number {
  const [h, m] = rule.start.split(':');
  return Number(h) * 60 + Number(m);
}

/**
 * The windows of one rule that overlap [from, to), sorted by start. Ignores `enabled` (callers decide).
 */
export function ruleWindows(rule: WeeklyRule, from: number, to: number): RuleWindow[] {
  if (!(to > from)) return [];
  const startMs = startMinuteOf(rule) * MINUTE_MS;
  const endMs = startMs + rule.durationMinutes * MINUTE_MS;
  const days = new Set<number>(rule.days);
  // A window overlapping `from` starts at most `duration` (+ a DST hour) before it.
  const first = localDateTime(from - rule.durationMinutes * MINUTE_MS - DAY_MS, rule.timezone);
  const last = localDateTime(to + DAY_MS, rule.timezone);
  const out: RuleWindow[] = [];
  for (let date = { year: first.year, month: first.month, day: first.day }; ; date = addDays(date, 1)) {
    if (date.year > last.year || (date.year === last.year && (date.month > last.month || (date.month === last.month && date.day > last.day)))) break;
    if (!days.has(isoWeekdayOfCivil(date))) continue;
    const start = wallClockToInstant(date, startMs, rule.timezone);
    if (start >= to) continue;
    const end = wallClockToInstant(date, endMs, rule.timezone);
    if (end <= start || end <= from) continue; // wholly inside a skipped hour, or before the range
    out.push({ ruleId: rule.id, priority: rule.priority, start, end, localDate: formatCivilDate(date) });
  }
  return out;
}

/** Winner first: higher priority, then earlier start, then smaller rule id. */
export function compareRuleWindows(a: RuleWindow, b: RuleWindow): number {
  return b.priority - a.priority || a.start - b.start || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
}

/** The enabled rules' windows containing t, winner first. */
export function activeRuleWindows(rules: readonly WeeklyRule[], t: number): RuleWindow[] {
  const out: RuleWindow[] = [];
  for (const rule of rules) {
    if (!rule.enabled) continue;
    for (const w of ruleWindows(rule, t, t + 1)) if (w.start <= t && t < w.end) out.push(w);
  }
  return out.sort(compareRuleWindows);
}

export interface ScheduleState {
  readonly dnd: boolean;
  /** Every enabled rule window containing t, winner (the reason) first. */
  readonly active: readonly RuleWindow[];
  /** When this DND run started / the last one ended; null when unknown (beyond the look-behind). */
  readonly since: number | null;
  /**
   * When the schedule next changes: the end of the DND run (touching and overlapping windows of all
   * rules merged) or the start of the next window; null when nothing changes within the horizon.
   */
  readonly until: number | null;
}

export const DEFAULT_HORIZON_MS = 14 * DAY_MS;

/** The schedule alone (no overrides, no calendars) at instant t. */
export function scheduleAt(rules: readonly WeeklyRule[], t: number, horizonMs: number = DEFAULT_HORIZON_MS): ScheduleState {
  const from = t - 8 * DAY_MS;
  const to = t + horizonMs;
  const windows: TimelineWindow<RuleWindow>[] = [];
  for (const rule of rules) {
    if (!rule.enabled) continue;
    for (const w of ruleWindows(rule, from, to)) windows.push({ start: w.start, end: w.end, label: w });
  }
  const point = Timeline.build(windows, from, to, compareRuleWindows).at(t);
  return {
    dnd: point.segment !== null,
    active: point.segment ? activeRuleWindows(rules, t) : [],
    since: point.since,
    until: point.until,
  };
}
