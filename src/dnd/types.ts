/**
 * Types shared by the Do-Not-Disturb modules, and the validation error every
 * validator in src/dnd/ throws (the admin API turns it into a 400 that names the field).
 */

/** Why an extension is (or is not) in DND at a given instant. */
export type DndReason = 'override' | 'schedule' | 'calendar' | 'none';

/** What the extension's DND state was right before a manual override was set. */
export interface PreviousDndStatus {
  readonly dnd: boolean;
  /** Never 'override': when an override replaces a still-active one, the older override's previous status is kept. */
  readonly reason: Exclude<DndReason, 'override'>;
  readonly ruleId?: string;
  readonly eventSummary?: string;
}

/** The answer to "is extension X in DND at t, why, and until when". */
export interface DndStatus {
  readonly extension: string;
  /** The instant this status describes (ms). */
  readonly at: number;
  readonly dnd: boolean;
  readonly reason: DndReason;
  /** The winning weekly rule when reason is 'schedule'. */
  readonly ruleId?: string;
  /** When reason is 'calendar': the calendar and the event (summary withheld for CLASS:PRIVATE/CONFIDENTIAL events). */
  readonly calendarId?: string;
  readonly eventUid?: string;
  readonly eventSummary?: string;
  /**
   * When the `dnd` value next flips (ms): for dnd=true when DND ends, for dnd=false when the next DND
   * begins. null when no change is known: permanent override, or no change within the look-ahead horizon.
   * For overrides this is the effective end: an override 'on' that expires inside a scheduled DND
   * reports the end of that scheduled DND.
   */
  readonly until: number | null;
  /** When the current state began, when known (override: when it was set; schedule/calendar: start of the DND run). */
  readonly since?: number;
  /** reason 'override' only: the override's own expiry (null = permanent) and how it was requested. */
  readonly overrideUntil?: number | null;
  readonly overrideMode?: OverrideMode;
  /** reason 'override' only: the status before the override was set. */
  readonly previousStatus?: PreviousDndStatus;
}

export type OverrideState = 'on' | 'off';

/** How the override's end was requested: an explicit time (or N minutes), "until the next scheduled change", or never. */
export type OverrideMode = 'until' | 'next-change' | 'permanent';

export interface ValidationIssue {
  /** The offending field, e.g. "timezone", "days[2]", "rules[3].start". */
  readonly field: string;
  readonly message: string;
}

/** Thrown by every validator in src/dnd/. `issues` lists every problem found, each naming its field. */
export class DndValidationError extends Error {
  override readonly name = 'DndValidationError';
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; ') || 'invalid input');
    this.issues = issues;
  }

  /** The same issues with every field prefixed, e.g. "rules[3]" + "start" -> "rules[3].start". */
  prefixed(prefix: string): DndValidationError {
    return new DndValidationError(this.issues.map((i) => ({ field: `${prefix}.${i.field}`, message: i.message })));
  }
}

export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** Identifier rule for rule ids, extension numbers, calendar and exception ids: 1-128 printable characters, no whitespace. */
const ID_PATTERN = /^[^\s\u0000-\u001f\u007f]{1,128}$/u;

export function checkIdentifier(value: unknown, field: string, issues: ValidationIssue[]): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    issues.push({ field, message: 'must be a non-empty string of at most 128 characters without whitespace' });
    return '';
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
