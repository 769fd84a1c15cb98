import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LOCKOUT_POLICY,
  emptyLockoutState,
  isLockedAt,
  lockoutPolicy,
  lockoutStatus,
  LockoutTracker,
  parseLockoutState,
  registerFailure,
} from '../../../src/mfa/lockout.js';
import type { LockoutState } from '../../../src/mfa/lockout.js';

const MIN = 60_000;
const T0 = 1_700_000_000_000;

describe('defaults', () => {
  it('5 failures in 5 minutes lock for 15 minutes', () => {
    expect(DEFAULT_LOCKOUT_POLICY).toMatchObject({ maxFailures: 5, windowMs: 5 * MIN, lockMs: 15 * MIN });
  });

  it('rejects nonsense policies', () => {
    expect(() => lockoutPolicy({ maxFailures: 0 })).toThrow(RangeError);
    expect(() => lockoutPolicy({ windowMs: -1 })).toThrow(RangeError);
    expect(() => lockoutPolicy({ escalationFactor: 0.5 })).toThrow(RangeError);
    expect(() => lockoutPolicy({ lockMs: 10 * MIN, maxLockMs: MIN })).toThrow(RangeError);
  });
});

describe('LockoutTracker', () => {
  it('locks on the 5th failure and unlocks exactly at lockedUntil', () => {
    const t = new LockoutTracker();
    for (let i = 1; i <= 4; i++) {
      expect(t.recordFailure('ext:201', T0 + i * 1000)).toEqual({ locked: false, failures: i });
      expect(t.isLocked('ext:201', T0 + i * 1000)).toBe(false);
    }
    const fifth = T0 + 5000;
    const r = t.recordFailure('ext:201', fifth);
    expect(r).toEqual({ locked: true, lockedUntil: fifth + 15 * MIN, failures: 5 });
    expect(t.isLocked('ext:201', fifth)).toBe(true);
    expect(t.isLocked('ext:201', fifth + 15 * MIN - 1)).toBe(true);
    expect(t.isLocked('ext:201', fifth + 15 * MIN)).toBe(false);
    expect(t.status('ext:201', fifth + 15 * MIN)).toEqual({ locked: false, failures: 0 });
    // Other subjects are unaffected.
    expect(t.isLocked('ext:202', fifth)).toBe(false);
  });

  it('counts failures in a sliding window only', () => {
    const t = new LockoutTracker();
    for (let i = 0; i < 4; i++) t.recordFailure('a', T0 + i * MIN); // t0, +1, +2, +3 min
    // At +5 min the first failure (t0) has left the window: 4 inside, not locked.
    expect(t.recordFailure('a', T0 + 5 * MIN)).toEqual({ locked: false, failures: 4 });
    expect(t.recordFailure('a', T0 + 5 * MIN + 1).locked).toBe(true);
  });

  it('failures while locked neither count nor extend the lock', () => {
    const t = new LockoutTracker();
    for (let i = 0; i < 5; i++) t.recordFailure('a', T0);
    const until = T0 + 15 * MIN;
    expect(t.recordFailure('a', T0 + MIN)).toEqual({ locked: true, lockedUntil: until, failures: 5 });
    expect(t.isLocked('a', until)).toBe(false);
  });

  it('starts counting from zero after a lock ends', () => {
    const t = new LockoutTracker({ escalationFactor: 1 });
    for (let i = 0; i < 5; i++) t.recordFailure('a', T0);
    const after = T0 + 15 * MIN;
    expect(t.recordFailure('a', after)).toEqual({ locked: false, failures: 1 });
  });

  it('recordSuccess clears failures, lock and escalation', () => {
    const t = new LockoutTracker();
    for (let i = 0; i < 4; i++) t.recordFailure('a', T0);
    t.recordSuccess('a');
    expect(t.recordFailure('a', T0)).toEqual({ locked: false, failures: 1 });
    for (let i = 0; i < 5; i++) t.recordFailure('b', T0);
    t.recordSuccess('b');
    expect(t.isLocked('b', T0)).toBe(false);
    expect(t.exportState('b')).toBeNull();
  });

  it('escalates consecutive lockouts (x2, capped), fixed with escalationFactor 1', () => {
    const t = new LockoutTracker({ maxLockMs: 50 * MIN });
    let now = T0;
    const locks: number[] = [];
    for (let round = 0; round < 4; round++) {
      let r = t.recordFailure('a', now);
      for (let i = 1; i < 5; i++) r = t.recordFailure('a', now);
      expect(r.locked).toBe(true);
      locks.push((r.lockedUntil ?? 0) - now);
      now = r.lockedUntil ?? now;
    }
    expect(locks).toEqual([15 * MIN, 30 * MIN, 50 * MIN, 50 * MIN]);

    const fixed = new LockoutTracker({ escalationFactor: 1 });
    now = T0;
    for (let round = 0; round < 3; round++) {
      let r = fixed.recordFailure('a', now);
      for (let i = 1; i < 5; i++) r = fixed.recordFailure('a', now);
      expect((r.lockedUntil ?? 0) - now).toBe(15 * MIN);
      now = r.lockedUntil ?? now;
    }
  });

  it('exports and imports JSON state per subject', () => {
    const a = new LockoutTracker();
    for (let i = 0; i < 5; i++) a.recordFailure('ext:1', T0 + i);
    const saved = JSON.parse(JSON.stringify(a.exportState('ext:1'))) as unknown;
    const b = new LockoutTracker();
    b.importState('ext:1', saved, T0);
    expect(b.isLocked('ext:1', T0 + 10)).toBe(true);
    expect(b.status('ext:1', T0 + 10)).toEqual(a.status('ext:1', T0 + 10));
    expect(() => b.importState('x', { failures: 'no' }, T0)).toThrow(TypeError);
    // Exported state is a copy.
    const copy = a.exportState('ext:1');
    copy?.failures.push(1);
    expect(a.exportState('ext:1')?.failures).toHaveLength(5);
  });

  it('keeps memory bounded, evicting idle then unlocked subjects before locked ones', () => {
    const t = new LockoutTracker({ maxSubjects: 3 });
    for (let i = 0; i < 5; i++) t.recordFailure('locked', T0);
    for (let i = 0; i < 100; i++) t.recordFailure(`s${i}`, T0 + i);
    expect(t.size).toBeLessThanOrEqual(3);
    expect(t.isLocked('locked', T0 + 200)).toBe(true);
    expect(t.status('s99', T0 + 200).failures).toBe(1);
  });

  it('prune drops states that no longer matter', () => {
    const t = new LockoutTracker();
    t.recordFailure('a', T0);
    for (let i = 0; i < 5; i++) t.recordFailure('b', T0);
    t.prune(T0 + 6 * MIN);
    expect(t.exportState('a')).toBeNull();
    expect(t.exportState('b')).not.toBeNull(); // still locked
  });
});

describe('pure functions', () => {
  it('registerFailure does not modify its input', () => {
    const s: LockoutState = emptyLockoutState();
    const { state } = registerFailure(s, T0, lockoutPolicy());
    expect(s.failures).toEqual([]);
    expect(state.failures).toEqual([T0]);
  });

  it('keeps at most maxFailures timestamps', () => {
    const p = lockoutPolicy({ maxFailures: 3, windowMs: 10, lockMs: 1, maxLockMs: 1 });
    let s: LockoutState | null = null;
    for (let i = 0; i < 50; i++) s = registerFailure(s, T0 + i * 100, p).state;
    expect(s?.failures.length).toBeLessThanOrEqual(3);
  });

  it('status and isLockedAt agree', () => {
    const p = lockoutPolicy();
    let s: LockoutState | null = null;
    for (let i = 0; i < 5; i++) s = registerFailure(s, T0, p).state;
    expect(isLockedAt(s, T0)).toBe(true);
    expect(lockoutStatus(s, T0, p)).toEqual({ locked: true, lockedUntil: T0 + 15 * MIN, failures: 5 });
    expect(lockoutStatus(null, T0, p)).toEqual({ locked: false, failures: 0 });
    expect(isLockedAt(null, T0)).toBe(false);
  });

  it.each([[null], ['x'], [{ failures: [1.5], lockedUntil: null }], [{ failures: [], lockedUntil: 'soon' }], [{ failures: [], lockedUntil: null, lockouts: -1 }]])(
    'parseLockoutState rejects %j',
    (value) => {
      expect(() => parseLockoutState(value)).toThrow(TypeError);
    },
  );

  it('parseLockoutState accepts a stored state (lockouts optional)', () => {
    expect(parseLockoutState({ failures: [3, 1], lockedUntil: null })).toEqual({ failures: [1, 3], lockedUntil: null, lockouts: 0 });
  });
});
