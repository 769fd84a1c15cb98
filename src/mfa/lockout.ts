/**
 * Failure limiter for MFA (extensions) and admin logins.
 *
 * Rule: `maxFailures` failures within a sliding `windowMs` lock the subject
 * for `lockMs`; the lock ends exactly at `lockedUntil` (now >= lockedUntil is
 * unlocked) and the failure count then starts from zero. A success clears
 * everything. Failures while locked are not counted (callers refuse before
 * checking a code, so nothing is learnt during a lock).
 *
 * Escalation: each consecutive lockout (no success in between) multiplies the
 * lock by `escalationFactor` (default 2), capped at `maxLockMs` (default 24 h).
 * Why: a plain 5-per-15-minutes limit lets an attacker try 480 TOTP codes a
 * day; with window ±1 that is a ~0.14 % daily chance on a 6-digit code, ~40 %
 * a year. Escalation brings it to a handful of tries a day. Set
 * `escalationFactor: 1` for a fixed lock.
 *
 * Two layers:
 *   - pure functions over a JSON-serialisable `LockoutState` (what the MFA
 *     service stores through its repository);
 *   - `LockoutTracker`, an in-memory map of states with a size bound, for
 *     callers without persistence (export/import per subject to persist).
 */

export interface LockoutPolicy {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
  /** Lock multiplier per consecutive lockout (>= 1). */
  escalationFactor: number;
  /** Upper bound of an escalated lock. */
  maxLockMs: number;
}

export const DEFAULT_LOCKOUT_POLICY: Readonly<LockoutPolicy> = Object.freeze({
  maxFailures: 5,
  windowMs: 5 * 60_000,
  lockMs: 15 * 60_000,
  escalationFactor: 2,
  maxLockMs: 24 * 60 * 60_000,
});

/** Per-subject state; plain JSON (store it as a TEXT column). */
export interface LockoutState {
  /** Times (ms) of the failures still inside the window, oldest first, at most maxFailures. */
  failures: number[];
  /** End of the current lock (ms), or null. */
  lockedUntil: number | null;
  /** Lockouts since the last success (drives escalation). */
  lockouts: number;
}

export interface LockoutStatus {
  locked: boolean;
  lockedUntil?: number;
  /** Failures counted in the current window (maxFailures when the lock was just set). */
  failures: number;
}

export function lockoutPolicy(overrides: Partial<LockoutPolicy> = {}): LockoutPolicy {
  const p = { ...DEFAULT_LOCKOUT_POLICY, ...overrides };
  const posInt = (v: number, name: string): void => {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`lockout ${name} must be a positive integer, got ${v}`);
  };
  posInt(p.maxFailures, 'maxFailures');
  posInt(p.windowMs, 'windowMs');
  posInt(p.lockMs, 'lockMs');
  posInt(p.maxLockMs, 'maxLockMs');
  if (p.maxFailures > 1000) throw new RangeError(`lockout maxFailures must be at most 1000, got ${p.maxFailures}`);
  if (!Number.isFinite(p.escalationFactor) || p.escalationFactor < 1 || p.escalationFactor > 100) {
    throw new RangeError(`lockout escalationFactor must be from 1 to 100, got ${p.escalationFactor}`);
  }
  if (p.maxLockMs < p.lockMs) throw new RangeError('lockout maxLockMs must be >= lockMs');
  return p;
}

export function emptyLockoutState(): LockoutState {
  return { failures: [], lockedUntil: null, lockouts: 0 };
}

/** True if the state holds nothing worth keeping at `now` (no lock, no failure in the window, no escalation). */
export function isLockoutStateIdle(state: LockoutState, now: number, policy: LockoutPolicy): boolean {
  const locked = state.lockedUntil !== null && now < state.lockedUntil;
  return !locked && state.lockouts === 0 && state.failures.every((t) => t <= now - policy.windowMs);
}

export function lockoutStatus(state: LockoutState | null | undefined, now: number, policy: LockoutPolicy): LockoutStatus {
  if (!state) return { locked: false, failures: 0 };
  if (state.lockedUntil !== null && now < state.lockedUntil) {
    return { locked: true, lockedUntil: state.lockedUntil, failures: state.failures.length };
  }
  if (state.lockedUntil !== null) return { locked: false, failures: 0 };
  return { locked: false, failures: state.failures.filter((t) => t > now - policy.windowMs).length };
}

export function isLockedAt(state: LockoutState | null | undefined, now: number): boolean {
  return !!state && state.lockedUntil !== null && now < state.lockedUntil;
}

/** Count one failure at `now`; returns the new state (the input is not modified) and the resulting status. */
export function registerFailure(
  state: LockoutState | null | undefined,
  now: number,
  policy: LockoutPolicy,
): { state: LockoutState; status: LockoutStatus } {
  const s = state ? cloneState(state) : emptyLockoutState();
  if (s.lockedUntil !== null && now < s.lockedUntil) {
    return { state: s, status: { locked: true, lockedUntil: s.lockedUntil, failures: s.failures.length } };
  }
  if (s.lockedUntil !== null) {
    // The lock has ended: start counting again (escalation level kept).
    s.lockedUntil = null;
    s.failures = [];
  }
  s.failures = s.failures.filter((t) => t > now - policy.windowMs);
  s.failures.push(now);
  if (s.failures.length > policy.maxFailures) s.failures = s.failures.slice(-policy.maxFailures);
  if (s.failures.length >= policy.maxFailures) {
    const lockMs = Math.min(policy.maxLockMs, Math.round(policy.lockMs * policy.escalationFactor ** s.lockouts));
    s.lockedUntil = now + lockMs;
    s.lockouts += 1;
    return { state: s, status: { locked: true, lockedUntil: s.lockedUntil, failures: s.failures.length } };
  }
  return { state: s, status: { locked: false, failures: s.failures.length } };
}

function cloneState(s: LockoutState): LockoutState {
  return { failures: [...s.failures], lockedUntil: s.lockedUntil, lockouts: s.lockouts };
}

/** Validate a state read back from storage (JSON.parse output). Throws a TypeError on anything else. */
export function parseLockoutState(value: unknown): LockoutState {
  const bad = (what: string): never => {
    throw new TypeError(`invalid lockout state: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return bad('not an object');
  const v = value as Record<string, unknown>;
  const failures = v['failures'];
  const lockedUntil = v['lockedUntil'];
  const lockouts = v['lockouts'] ?? 0;
  if (!Array.isArray(failures) || failures.length > 1000 || !failures.every((t) => Number.isSafeInteger(t))) {
    return bad('failures must be an array of integer times');
  }
  if (lockedUntil !== null && !Number.isSafeInteger(lockedUntil)) return bad('lockedUntil must be an integer time or null');
  if (!Number.isSafeInteger(lockouts) || (lockouts as number) < 0) return bad('lockouts must be a non-negative integer');
  return {
    failures: [...(failures as number[])].sort((a, b) => a - b),
    lockedUntil: lockedUntil as number | null,
    lockouts: lockouts as number,
  };
}

export interface LockoutTrackerOptions extends Partial<LockoutPolicy> {
  /** Most subjects kept in memory (default 10 000). Idle states are dropped first, then the least recently touched unlocked ones, then locked ones. */
  maxSubjects?: number;
}

/**
 * In-memory lockout per subject with bounded memory. Evicting a subject
 * forgets its failures (and a lock, if every entry is locked); size
 * `maxSubjects` above the number of real subjects (extensions + admins).
 */
export class LockoutTracker {
  readonly policy: LockoutPolicy;
  readonly maxSubjects: number;
  readonly #states = new Map<string, LockoutState>();

  constructor(options: LockoutTrackerOptions = {}) {
    const { maxSubjects = 10_000, ...policy } = options;
    this.policy = lockoutPolicy(policy);
    if (!Number.isSafeInteger(maxSubjects) || maxSubjects < 1) throw new RangeError(`maxSubjects must be a positive integer, got ${maxSubjects}`);
    this.maxSubjects = maxSubjects;
  }

  get size(): number {
    return this.#states.size;
  }

  recordFailure(subject: string, now: number): LockoutStatus {
    const { state, status } = registerFailure(this.#states.get(subject), now, this.policy);
    this.#set(subject, state, now);
    return status;
  }

  isLocked(subject: string, now: number): boolean {
    return isLockedAt(this.#states.get(subject), now);
  }

  status(subject: string, now: number): LockoutStatus {
    return lockoutStatus(this.#states.get(subject), now, this.policy);
  }

  /** A success: forget failures, lock and escalation. */
  recordSuccess(subject: string): void {
    this.#states.delete(subject);
  }

  /** The subject's state for persistence (a copy), or null if there is none. */
  exportState(subject: string): LockoutState | null {
    const s = this.#states.get(subject);
    return s ? cloneState(s) : null;
  }

  /** Restore a persisted state (validated). */
  importState(subject: string, state: unknown, now: number): void {
    this.#set(subject, parseLockoutState(state), now);
  }

  /** Drop states that no longer matter at `now`. */
  prune(now: number): void {
    for (const [subject, s] of this.#states) {
      if (isLockoutStateIdle(s, now, this.policy)) this.#states.delete(subject);
    }
  }

  #set(subject: string, state: LockoutState, now: number): void {
    this.#states.delete(subject); // re-insert: Map order = least recently touched first
    this.#states.set(subject, state);
    if (this.#states.size <= this.maxSubjects) return;
    this.prune(now);
    if (!this.#states.has(subject)) this.#states.set(subject, state);
    // Evict the least recently touched: unlocked subjects first, locked ones only if that is not enough.
    for (const evictLocked of [false, true]) {
      for (const [key, s] of this.#states) {
        if (this.#states.size <= this.maxSubjects) return;
        if (key !== subject && (evictLocked || !isLockedAt(s, now))) this.#states.delete(key);
      }
    }
  }
}
