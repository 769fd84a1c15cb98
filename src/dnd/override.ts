/**
 * Manual DND overrides: one per extension, 'on' (force DND) or 'off' (force available); both beat
 * the weekly rules and calendars. When an override expires the schedule applies again.
 *
 * An override is active while `until === null || t < until`: it is over at `until` exactly.
 * `until` is always stored resolved (absolute ms or null):
 *   - explicit time: as given ("for N minutes" is the caller's `now + N * 60_000`);
 *   - 'next-change': the next change of the underlying (schedule + calendar) DND state after the
 *     moment it is set, resolved once at set time; refused when no change is known within the horizon;
 *   - null: permanent, until cleared.
 *
 * `previousStatus` records the extension's state before the override (what the seed system restores
 * when DND ends). When an override replaces one that is still active, the older override's
 * previousStatus is carried over, so it always describes the state before the first override.
 */
import {
  DndValidationError,
  checkIdentifier,
  isRecord,
  type DndStatus,
  type OverrideMode,
  type OverrideState,
  type PreviousDndStatus,
  type ValidationIssue,
} from './types.js';

/** What an API caller asks for. */
export interface OverrideInput {
  readonly state: OverrideState;
  /** Absolute ms, null = permanent, or 'next-change'. */
  readonly until: number | null | 'next-change';
  /** Free text for the audit trail (who set it, why). */
  readonly note?: string | null;
}

/** A stored override (plain JSON-serialisable data). */
export interface DndOverride {
  readonly extension: string;
  readonly state: OverrideState;
  /** Resolved expiry (ms), null = permanent. */
  readonly until: number | null;
  readonly mode: OverrideMode;
  /** When it was set (ms). */
  readonly setAt: number;
  readonly previousStatus: PreviousDndStatus | null;
  readonly note: string | null;
}

export function isOverrideActive(override: DndOverride, t: number): boolean {
  return override.until === null || t < override.until;
}

/** Validate an API payload ({ state, until, note? }). */
export function validateOverrideInput(input: unknown): OverrideInput {
  const issues: ValidationIssue[] = [];
  if (!isRecord(input)) throw new DndValidationError([{ field: '(override)', message: 'must be an object' }]);
  if (input.state !== 'on' && input.state !== 'off') issues.push({ field: 'state', message: 'must be "on" or "off"' });
  const until = input.until;
  if (!(until === null || until === 'next-change' || (typeof until === 'number' && Number.isFinite(until)))) {
    issues.push({ field: 'until', message: 'must be a time in ms, null (permanent) or "next-change"' });
  }
  if (input.note !== undefined && input.note !== null && (typeof input.note !== 'string' || input.note.length > 500)) {
    issues.push({ field: 'note', message: 'must be a string of at most 500 characters' });
  }
  if (issues.length) throw new DndValidationError(issues);
  return {
    state: input.state as OverrideState,
    until: until as number | null | 'next-change',
    note: typeof input.note === 'string' ? input.note : null,
  };
}

export interface OverrideContext {
  readonly now: number;
  /** The full status right now (before the new override). */
  readonly current: DndStatus;
  /** The override in place right now, if any (active or not). */
  readonly existing: DndOverride | null;
  /** Next change of the underlying (non-override) state after `now`; null when none is known. */
  readonly nextUnderlyingChange: number | null;
}

/** Build the override to store. Throws DndValidationError when `until` is in the past or unresolvable. */
export function createOverride(extension: string, input: OverrideInput, ctx: OverrideContext): DndOverride {
  const issues: ValidationIssue[] = [];
  checkIdentifier(extension, 'extension', issues);
  let until: number | null;
  let mode: OverrideMode;
  if (input.until === 'next-change') {
    mode = 'next-change';
    until = ctx.nextUnderlyingChange;
    if (until === null) {
      issues.push({ field: 'until', message: 'the extension has no scheduled or calendar change ahead; give an explicit time or null' });
    }
  } else if (input.until === null) {
    mode = 'permanent';
    until = null;
  } else {
    mode = 'until';
    until = input.until;
    if (!(until > ctx.now)) issues.push({ field: 'until', message: 'must be in the future' });
  }
  if (issues.length) throw new DndValidationError(issues);

  const previousStatus =
    ctx.existing && isOverrideActive(ctx.existing, ctx.now) && ctx.existing.previousStatus
      ? ctx.existing.previousStatus
      : toPreviousStatus(ctx.current);

  return Object.freeze({
    extension,
    state: input.state,
    until,
    mode,
    setAt: ctx.now,
    previousStatus,
    note: input.note ?? null,
  });
}

/** The non-override part of a status, as recorded in previousStatus. */
export function toPreviousStatus(status: DndStatus): PreviousDndStatus | null {
  if (status.reason === 'override') return status.previousStatus ?? null;
  const prev: { -readonly [K in keyof PreviousDndStatus]: PreviousDndStatus[K] } = { dnd: status.dnd, reason: status.reason };
  if (status.ruleId !== undefined) prev.ruleId = status.ruleId;
  if (status.eventSummary !== undefined) prev.eventSummary = status.eventSummary;
  return Object.freeze(prev);
}

/** Check an override loaded from storage (shape only; expired ones are kept - the service ignores them). */
export function validateStoredOverride(input: unknown): DndOverride {
  const issues: ValidationIssue[] = [];
  if (!isRecord(input)) throw new DndValidationError([{ field: '(override)', message: 'must be an object' }]);
  const extension = checkIdentifier(input.extension, 'extension', issues);
  if (input.state !== 'on' && input.state !== 'off') issues.push({ field: 'state', message: 'must be "on" or "off"' });
  if (!(input.until === null || (typeof input.until === 'number' && Number.isFinite(input.until)))) {
    issues.push({ field: 'until', message: 'must be a time in ms or null' });
  }
  if (input.mode !== 'until' && input.mode !== 'next-change' && input.mode !== 'permanent') {
    issues.push({ field: 'mode', message: 'must be "until", "next-change" or "permanent"' });
  }
  if (typeof input.setAt !== 'number' || !Number.isFinite(input.setAt)) issues.push({ field: 'setAt', message: 'must be a time in ms' });
  let previousStatus: PreviousDndStatus | null = null;
  const p = input.previousStatus;
  if (p !== undefined && p !== null) {
    if (!isRecord(p) || typeof p.dnd !== 'boolean' || !['schedule', 'calendar', 'none'].includes(p.reason as string)) {
      issues.push({ field: 'previousStatus', message: 'must be { dnd, reason: "schedule" | "calendar" | "none", ruleId?, eventSummary? }' });
    } else {
      const prev: { -readonly [K in keyof PreviousDndStatus]: PreviousDndStatus[K] } = {
        dnd: p.dnd,
        reason: p.reason as PreviousDndStatus['reason'],
      };
      if (typeof p.ruleId === 'string') prev.ruleId = p.ruleId;
      if (typeof p.eventSummary === 'string') prev.eventSummary = p.eventSummary;
      previousStatus = Object.freeze(prev);
    }
  }
  if (input.note !== undefined && input.note !== null && typeof input.note !== 'string') issues.push({ field: 'note', message: 'must be a string' });
  if (issues.length) throw new DndValidationError(issues);
  return Object.freeze({
    extension,
    state: input.state as OverrideState,
    until: input.until as number | null,
    mode: input.mode as OverrideMode,
    setAt: input.setAt as number,
    previousStatus,
    note: typeof input.note === 'string' ? input.note : null,
  });
}
