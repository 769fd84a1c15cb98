/**
 * The DND decision core: holds rules, overrides, calendar snapshots, caller exceptions and
 * per-extension settings in memory and answers "is X in DND at t" and "how to answer this INVITE".
 *
 * Pure: no I/O, no timers, the instant is passed to every query. Persistence loads data in with the
 * replace*() methods and mirrors edits; the admin API edits through the upsert and remove methods; the calendar
 * poller pushes snapshots with setCalendar(). Every mutator validates and throws DndValidationError.
 *
 * Precedence at instant t:
 *   1. an active override ('on' = DND, 'off' = available) beats everything;
 *   2. otherwise DND when any enabled weekly rule window or busy calendar event covers t.
 *      The reported reason is the schedule when a rule covers t (highest priority rule wins, see
 *      weekly-rule.ts), else the calendar event that started first.
 * `until` is when the DND value next flips, over all sources combined (touching or overlapping
 * windows of rules and events form one run), looking `horizonMs` ahead (null beyond).
 *
 * Speed: per extension, a timeline of merged windows is built for [t - 3 d, t + horizon + 1 d] and
 * reused for a day, so a query is a map lookup plus a binary search. Building expands calendars
 * (ical.js, fused - see calendar.ts); call warm(now) after calendar updates and periodically (e.g.
 * after each poll round) so that no INVITE pays for it.
 */
import { validateCallerException, CallerExceptionMatcher, type CallerException, type CallerIdentity } from './exceptions.js';
import { busyIntervals, type BusyIntervals, type CalendarSnapshot } from './calendar.js';
import { createOverride, isOverrideActive, validateOverrideInput, validateStoredOverride, type DndOverride } from './override.js';
import { Timeline, type TimelineWindow } from './timeline.js';
import { DndValidationError, checkIdentifier, isRecord, type DndStatus, type ValidationIssue } from './types.js';
import { compareRuleWindows, ruleWindows, validateWeeklyRule, type RuleWindow, type WeeklyRule, type WeeklyRuleInput } from './weekly-rule.js';
import { DAY_MS, canonicalTimeZone } from './zoned-time.js';

export type DndResponseStatus = 486 | 480 | 603;

export const DND_RESPONSE_STATUSES: readonly DndResponseStatus[] = [486, 480, 603];

export interface ExtensionDndSettings {
  readonly extension: string;
  /** Final response to INVITEs while in DND; null/absent = the service default. 603 is sent as 486 for queue calls. */
  readonly responseStatus: DndResponseStatus | null;
  /** Default zone for this extension's rules that have none (applied when a rule is validated). */
  readonly timezone: string | null;
}

export interface DndServiceOptions {
  /** Zone for rules without one, when the extension has no zone either. Default "UTC". */
  readonly defaultTimezone?: string;
  /** Default 486. */
  readonly defaultResponseStatus?: DndResponseStatus;
  /** How far ahead `until` is looked for. Default 14 days. */
  readonly horizonMs?: number;
  /** Send Retry-After (seconds until DND ends) when the end is known. Default true. */
  readonly retryAfter?: boolean;
  /** Cap for Retry-After; default none. */
  readonly maxRetryAfterSeconds?: number | null;
}

export interface DndDecision {
  readonly status: DndResponseStatus;
  readonly reason: 'Do Not Disturb';
  /** Seconds until DND ends, rounded up (>= 1); absent when the end is unknown. */
  readonly retryAfterSeconds?: number;
  readonly dndStatus: DndStatus;
}

export interface InviteEvaluation {
  readonly status: DndStatus;
  /** The exception that let the caller through a DND, if any. */
  readonly bypassedBy: CallerException | null;
  /** null: let it ring. */
  readonly decision: DndDecision | null;
}

export interface CalendarAttachment {
  readonly calendarId: string;
  readonly extension: string;
  readonly snapshot: CalendarSnapshot;
  /** The last expansion's limits and problems, if expanded yet. */
  readonly lastExpansion: { readonly from: number; readonly to: number; readonly truncated: boolean; readonly problems: readonly string[] } | null;
}

type Label =
  | { readonly kind: 'schedule'; readonly window: RuleWindow }
  | { readonly kind: 'calendar'; readonly calendarId: string; readonly uid: string; readonly summary: string | null; readonly start: number };

interface CalendarEntry {
  readonly calendarId: string;
  readonly extension: string;
  readonly snapshot: CalendarSnapshot;
  /** Up to two expanded windows (the "now" one and, e.g., one around an override's expiry). */
  cache: BusyIntervals[];
  last: BusyIntervals | null;
}

interface CachedTimeline {
  readonly anchor: number;
  readonly timeline: Timeline<Label>;
}

const LOOKBEHIND_MS = 3 * DAY_MS;
const REUSE_MS = DAY_MS;
const CALENDAR_EXTRA_MS = 7 * DAY_MS;

function compareLabels(a: Label, b: Label): number {
  if (a.kind === 'schedule') return b.kind === 'schedule' ? compareRuleWindows(a.window, b.window) : -1;
  if (b.kind === 'schedule') return 1;
  return a.start - b.start || cmp(a.calendarId, b.calendarId) || cmp(a.uid, b.uid);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class DndService {
  readonly #defaultTimezone: string;
  readonly #defaultStatus: DndResponseStatus;
  readonly #horizonMs: number;
  readonly #retryAfter: boolean;
  readonly #maxRetryAfter: number | null;

  readonly #rules = new Map<string, WeeklyRule>();
  readonly #rulesByExt = new Map<string, WeeklyRule[]>();
  readonly #overrides = new Map<string, DndOverride>();
  readonly #calendars = new Map<string, CalendarEntry>();
  readonly #calendarsByExt = new Map<string, CalendarEntry[]>();
  readonly #exceptions = new Map<string, CallerException>();
  #matcher = new CallerExceptionMatcher([]);
  readonly #settings = new Map<string, ExtensionDndSettings>();
  readonly #timelines = new Map<string, CachedTimeline[]>();

  constructor(options: DndServiceOptions = {}) {
    const tz = canonicalTimeZone(options.defaultTimezone ?? 'UTC');
    if (tz === null) throw new DndValidationError([{ field: 'defaultTimezone', message: `unknown IANA time zone ${JSON.stringify(options.defaultTimezone)}` }]);
    this.#defaultTimezone = tz;
    const status = options.defaultResponseStatus ?? 486;
    if (!DND_RESPONSE_STATUSES.includes(status)) throw new DndValidationError([{ field: 'defaultResponseStatus', message: 'must be 486, 480 or 603' }]);
    this.#defaultStatus = status;
    const horizon = options.horizonMs ?? 14 * DAY_MS;
    if (!(horizon >= DAY_MS && horizon <= 60 * DAY_MS)) throw new DndValidationError([{ field: 'horizonMs', message: 'must be between 1 and 60 days' }]);
    this.#horizonMs = horizon;
    this.#retryAfter = options.retryAfter ?? true;
    this.#maxRetryAfter = options.maxRetryAfterSeconds ?? null;
  }

  get defaultTimezone(): string {
    return this.#defaultTimezone;
  }

  // ---------------------------------------------------------------------------------------------
  // Weekly rules

  /** Replace every rule (all-or-nothing; errors are prefixed "rules[i]"). Rule ids are unique. */
  replaceRules(rules: readonly WeeklyRuleInput[]): WeeklyRule[] {
    const out: WeeklyRule[] = [];
    const issues: ValidationIssue[] = [];
    const seen = new Set<string>();
    rules.forEach((input, i) => {
      try {
        const rule = this.#validateRule(input);
        if (seen.has(rule.id)) issues.push({ field: `rules[${i}].id`, message: `duplicate rule id "${rule.id}"` });
        seen.add(rule.id);
        out.push(rule);
      } catch (err) {
        if (!(err instanceof DndValidationError)) throw err;
        issues.push(...err.prefixed(`rules[${i}]`).issues);
      }
    });
    if (issues.length) throw new DndValidationError(issues);
    for (const ext of this.#rulesByExt.keys()) this.#invalidate(ext);
    this.#rules.clear();
    this.#rulesByExt.clear();
    for (const r of out) this.#putRule(r);
    return out;
  }

  /** Add or replace one rule (by id). */
  upsertRule(input: WeeklyRuleInput): WeeklyRule {
    const rule = this.#validateRule(input);
    this.removeRule(rule.id);
    this.#putRule(rule);
    return rule;
  }

  removeRule(id: string): boolean {
    const old = this.#rules.get(id);
    if (!old) return false;
    this.#rules.delete(id);
    const list = (this.#rulesByExt.get(old.extension) ?? []).filter((r) => r.id !== id);
    if (list.length) this.#rulesByExt.set(old.extension, list);
    else this.#rulesByExt.delete(old.extension);
    this.#invalidate(old.extension);
    return true;
  }

  rule(id: string): WeeklyRule | undefined {
    return this.#rules.get(id);
  }

  /** All rules, or one extension's, sorted by extension then id. */
  rules(extension?: string): WeeklyRule[] {
    const list = extension === undefined ? [...this.#rules.values()] : [...(this.#rulesByExt.get(extension) ?? [])];
    return list.sort((a, b) => cmp(a.extension, b.extension) || cmp(a.id, b.id));
  }

  #validateRule(input: WeeklyRuleInput): WeeklyRule {
    const ext = isRecord(input) && typeof input.extension === 'string' ? input.extension : '';
    return validateWeeklyRule(input, { defaultTimezone: this.#settings.get(ext)?.timezone ?? this.#defaultTimezone });
  }

  #putRule(rule: WeeklyRule): void {
    this.#rules.set(rule.id, rule);
    const list = this.#rulesByExt.get(rule.extension) ?? [];
    list.push(rule);
    this.#rulesByExt.set(rule.extension, list);
    this.#invalidate(rule.extension);
  }

  // ---------------------------------------------------------------------------------------------
  // Overrides

  /**
   * Set (or replace) the extension's override at instant t. `input` is { state, until, note? } with
   * until = ms | null (permanent) | 'next-change' (resolved now against schedule + calendars).
   * Returns what to persist.
   */
  setOverride(extension: string, input: unknown, t: number): DndOverride {
    const parsed = validateOverrideInput(input);
    const existing = this.#overrides.get(extension) ?? null;
    const override = createOverride(extension, parsed, {
      now: t,
      current: this.status(extension, t),
      existing,
      nextUnderlyingChange: this.#underlying(extension, t).until,
    });
    this.#overrides.set(extension, override);
    return override;
  }

  /** Put back an override exactly as stored (persistence load). */
  restoreOverride(stored: unknown): DndOverride {
    const o = validateStoredOverride(stored);
    this.#overrides.set(o.extension, o);
    return o;
  }

  /** Replace all overrides with stored ones (all-or-nothing). */
  replaceOverrides(stored: readonly unknown[]): DndOverride[] {
    const issues: ValidationIssue[] = [];
    const out: DndOverride[] = [];
    stored.forEach((s, i) => {
      try {
        out.push(validateStoredOverride(s));
      } catch (err) {
        if (!(err instanceof DndValidationError)) throw err;
        issues.push(...err.prefixed(`overrides[${i}]`).issues);
      }
    });
    if (issues.length) throw new DndValidationError(issues);
    this.#overrides.clear();
    for (const o of out) this.#overrides.set(o.extension, o);
    return out;
  }

  /** Remove the extension's override; returns it (active or not) or null. */
  clearOverride(extension: string): DndOverride | null {
    const o = this.#overrides.get(extension) ?? null;
    this.#overrides.delete(extension);
    return o;
  }

  /** The stored override, including an expired one not yet pruned. */
  override(extension: string): DndOverride | null {
    return this.#overrides.get(extension) ?? null;
  }

  overrides(): DndOverride[] {
    return [...this.#overrides.values()].sort((a, b) => cmp(a.extension, b.extension));
  }

  /** Drop overrides that are over at t; returns them (so persistence can delete them). */
  pruneExpiredOverrides(t: number): DndOverride[] {
    const gone: DndOverride[] = [];
    for (const [ext, o] of this.#overrides) {
      if (!isOverrideActive(o, t)) {
        this.#overrides.delete(ext);
        gone.push(o);
      }
    }
    return gone;
  }

  // ---------------------------------------------------------------------------------------------
  // Calendars

  /** Attach (or replace) calendar `calendarId` to an extension; null detaches it. */
  setCalendar(calendarId: string, extension: string, snapshot: CalendarSnapshot | null): void {
    const issues: ValidationIssue[] = [];
    checkIdentifier(calendarId, 'calendarId', issues);
    checkIdentifier(extension, 'extension', issues);
    if (issues.length) throw new DndValidationError(issues);
    this.removeCalendar(calendarId);
    if (snapshot === null) return;
    const entry: CalendarEntry = { calendarId, extension, snapshot, cache: [], last: null };
    this.#calendars.set(calendarId, entry);
    const list = this.#calendarsByExt.get(extension) ?? [];
    list.push(entry);
    this.#calendarsByExt.set(extension, list);
    this.#invalidate(extension);
  }

  removeCalendar(calendarId: string): boolean {
    const old = this.#calendars.get(calendarId);
    if (!old) return false;
    this.#calendars.delete(calendarId);
    const list = (this.#calendarsByExt.get(old.extension) ?? []).filter((e) => e !== old);
    if (list.length) this.#calendarsByExt.set(old.extension, list);
    else this.#calendarsByExt.delete(old.extension);
    this.#invalidate(old.extension);
    return true;
  }

  calendars(extension?: string): CalendarAttachment[] {
    const list = extension === undefined ? [...this.#calendars.values()] : [...(this.#calendarsByExt.get(extension) ?? [])];
    return list
      .sort((a, b) => cmp(a.extension, b.extension) || cmp(a.calendarId, b.calendarId))
      .map((e) => ({
        calendarId: e.calendarId,
        extension: e.extension,
        snapshot: e.snapshot,
        lastExpansion: e.last ? { from: e.last.from, to: e.last.to, truncated: e.last.truncated, problems: e.last.problems } : null,
      }));
  }

  // ---------------------------------------------------------------------------------------------
  // Caller exceptions

  replaceExceptions(inputs: readonly unknown[]): CallerException[] {
    const issues: ValidationIssue[] = [];
    const out: CallerException[] = [];
    const seen = new Set<string>();
    inputs.forEach((input, i) => {
      try {
        const e = validateCallerException(input);
        if (seen.has(e.id)) issues.push({ field: `exceptions[${i}].id`, message: `duplicate exception id "${e.id}"` });
        seen.add(e.id);
        out.push(e);
      } catch (err) {
        if (!(err instanceof DndValidationError)) throw err;
        issues.push(...err.prefixed(`exceptions[${i}]`).issues);
      }
    });
    if (issues.length) throw new DndValidationError(issues);
    this.#exceptions.clear();
    for (const e of out) this.#exceptions.set(e.id, e);
    this.#matcher = new CallerExceptionMatcher(out);
    return out;
  }

  upsertException(input: unknown): CallerException {
    const e = validateCallerException(input);
    this.#exceptions.set(e.id, e);
    this.#matcher = new CallerExceptionMatcher([...this.#exceptions.values()]);
    return e;
  }

  removeException(id: string): boolean {
    if (!this.#exceptions.delete(id)) return false;
    this.#matcher = new CallerExceptionMatcher([...this.#exceptions.values()]);
    return true;
  }

  /** All exceptions, or those that apply to one extension (its own and the global ones). */
  exceptions(extension?: string): CallerException[] {
    const list = [...this.#exceptions.values()].filter((e) => extension === undefined || e.extension === null || e.extension === extension);
    return list.sort((a, b) => cmp(a.extension ?? '', b.extension ?? '') || cmp(a.id, b.id));
  }

  // ---------------------------------------------------------------------------------------------
  // Per-extension settings

  setExtensionSettings(input: unknown): ExtensionDndSettings {
    const issues: ValidationIssue[] = [];
    if (!isRecord(input)) throw new DndValidationError([{ field: '(settings)', message: 'must be an object' }]);
    const extension = checkIdentifier(input.extension, 'extension', issues);
    let responseStatus: DndResponseStatus | null = null;
    if (input.responseStatus !== undefined && input.responseStatus !== null) {
      if (!DND_RESPONSE_STATUSES.includes(input.responseStatus as DndResponseStatus)) {
        issues.push({ field: 'responseStatus', message: 'must be 486, 480 or 603' });
      } else responseStatus = input.responseStatus as DndResponseStatus;
    }
    let timezone: string | null = null;
    if (input.timezone !== undefined && input.timezone !== null) {
      timezone = canonicalTimeZone(input.timezone);
      if (timezone === null) issues.push({ field: 'timezone', message: `unknown IANA time zone ${JSON.stringify(input.timezone)}` });
    }
    if (issues.length) throw new DndValidationError(issues);
    const settings: ExtensionDndSettings = Object.freeze({ extension, responseStatus, timezone });
    this.#settings.set(extension, settings);
    return settings;
  }

  removeExtensionSettings(extension: string): boolean {
    return this.#settings.delete(extension);
  }

  extensionSettings(extension: string): ExtensionDndSettings {
    return this.#settings.get(extension) ?? { extension, responseStatus: null, timezone: null };
  }

  /** The status an INVITE to `extension` would be rejected with, queue calls taken into account. */
  responseStatusFor(extension: string, viaQueue: boolean): DndResponseStatus {
    const status = this.#settings.get(extension)?.responseStatus ?? this.#defaultStatus;
    // 603 Decline cancels the other branches of a parallel fork: never for queues or ring groups.
    return viaQueue && status === 603 ? 486 : status;
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  /** Every extension sipwarden knows DND data for (rules, overrides, calendars, settings). */
  extensions(): string[] {
    const all = new Set<string>([...this.#rulesByExt.keys(), ...this.#overrides.keys(), ...this.#calendarsByExt.keys(), ...this.#settings.keys()]);
    return [...all].sort(cmp);
  }

  status(extension: string, t: number): DndStatus {
    const o = this.#overrides.get(extension);
    if (!o || !isOverrideActive(o, t)) return this.#underlying(extension, t);
    const dnd = o.state === 'on';
    let until = o.until;
    if (until !== null) {
      // When the override ends inside a stretch with the same state, the state lasts until that ends.
      const after = this.#underlying(extension, until);
      if (after.dnd === dnd) until = after.until;
    }
    return {
      extension,
      at: t,
      dnd,
      reason: 'override',
      until,
      since: o.setAt,
      overrideUntil: o.until,
      overrideMode: o.mode,
      ...(o.previousStatus ? { previousStatus: o.previousStatus } : {}),
    };
  }

  statusAll(t: number): DndStatus[] {
    return this.extensions().map((ext) => this.status(ext, t));
  }

  /**
   * How to answer a new INVITE to `extension`: null = let it ring (not in DND, or the caller is an
   * exception), else the final response. `caller`: the caller's identities (From user, trusted
   * P-Asserted-Identity user). `viaQueue`: the call was routed through a queue / ring group.
   */
  decideInvite(extension: string, caller: CallerIdentity, t: number, viaQueue: boolean): DndDecision | null {
    return this.evaluateInvite(extension, caller, t, viaQueue).decision;
  }

  /** decideInvite plus the status and the exception that let the caller through (for events and logs). */
  evaluateInvite(extension: string, caller: CallerIdentity, t: number, viaQueue: boolean): InviteEvaluation {
    const status = this.status(extension, t);
    if (!status.dnd) return { status, bypassedBy: null, decision: null };
    const bypassedBy = this.#matcher.match(extension, caller);
    if (bypassedBy) return { status, bypassedBy, decision: null };
    let retryAfterSeconds: number | undefined;
    if (this.#retryAfter && status.until !== null && status.until > t) {
      retryAfterSeconds = Math.max(1, Math.ceil((status.until - t) / 1000));
      if (this.#maxRetryAfter !== null) retryAfterSeconds = Math.min(retryAfterSeconds, this.#maxRetryAfter);
    }
    const decision: DndDecision = {
      status: this.responseStatusFor(extension, viaQueue),
      reason: 'Do Not Disturb',
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      dndStatus: status,
    };
    return { status, bypassedBy: null, decision };
  }

  /** Precompute timelines (and calendar expansions) for instant t, for one extension or all. */
  warm(t: number, extension?: string): void {
    for (const ext of extension === undefined ? this.extensions() : [extension]) this.status(ext, t);
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /** Schedule + calendars, ignoring overrides. */
  #underlying(extension: string, t: number): DndStatus {
    const timeline = this.#timeline(extension, t);
    if (!timeline) return { extension, at: t, dnd: false, reason: 'none', until: null };
    const p = timeline.at(t);
    const known = {
      until: p.until,
      ...(p.since !== null ? { since: p.since } : {}),
    };
    if (!p.segment) return { extension, at: t, dnd: false, reason: 'none', ...known };
    const label = p.segment.label;
    if (label.kind === 'schedule') return { extension, at: t, dnd: true, reason: 'schedule', ruleId: label.window.ruleId, ...known };
    return {
      extension,
      at: t,
      dnd: true,
      reason: 'calendar',
      calendarId: label.calendarId,
      eventUid: label.uid,
      ...(label.summary !== null ? { eventSummary: label.summary } : {}),
      ...known,
    };
  }

  #timeline(extension: string, t: number): Timeline<Label> | null {
    const cached = this.#timelines.get(extension) ?? [];
    for (const c of cached) {
      if (t >= c.anchor - LOOKBEHIND_MS / 2 && t <= c.anchor + REUSE_MS) {
        // most recently used first
        if (cached[0] !== c) this.#timelines.set(extension, [c, ...cached.filter((x) => x !== c)]);
        return c.timeline;
      }
    }
    const rules = this.#rulesByExt.get(extension)?.filter((r) => r.enabled) ?? [];
    const calendars = this.#calendarsByExt.get(extension) ?? [];
    if (rules.length === 0 && calendars.length === 0) return null;
    const from = t - LOOKBEHIND_MS;
    const to = t + this.#horizonMs + REUSE_MS;
    const windows: TimelineWindow<Label>[] = [];
    for (const rule of rules) {
      for (const w of ruleWindows(rule, from, to)) windows.push({ start: w.start, end: w.end, label: { kind: 'schedule', window: w } });
    }
    for (const cal of calendars) {
      for (const iv of this.#expand(cal, from, to)) {
        windows.push({ start: iv.start, end: iv.end, label: { kind: 'calendar', calendarId: cal.calendarId, uid: iv.uid, summary: iv.summary, start: iv.start } });
      }
    }
    const timeline = Timeline.build(windows, from, to, compareLabels);
    this.#timelines.set(extension, [{ anchor: t, timeline }, ...cached].slice(0, 2));
    return timeline;
  }

  #expand(cal: CalendarEntry, from: number, to: number): BusyIntervals['intervals'] {
    let hit = cal.cache.find((c) => c.from <= from && c.to >= to);
    if (!hit) {
      hit = busyIntervals(cal.snapshot, from, to + CALENDAR_EXTRA_MS);
      cal.cache = [hit, ...cal.cache].slice(0, 2);
      cal.last = hit;
    }
    return hit.intervals;
  }

  #invalidate(extension: string): void {
    this.#timelines.delete(extension);
  }
}
