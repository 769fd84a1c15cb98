import { describe, expect, it } from 'vitest';
import { AuthFailureTracker, isAuthFailure } from '../../../src/guard/auth-failures.js';

const options = { maxFailures: 10, windowMs: 3_600_000, enumeration: { maxUsernames: 5, windowMs: 600_000 }, distributed: { maxSources: 3, windowMs: 600_000 }, maxTracked: 1000 };

describe('isAuthFailure', () => {
  it('403 always; 401/407 only with credentials', () => {
    expect(isAuthFailure(403, false)).toBe(true);
    expect(isAuthFailure(401, false)).toBe(false);
    expect(isAuthFailure(401, true)).toBe(true);
    expect(isAuthFailure(407, true)).toBe(true);
    expect(isAuthFailure(404, true)).toBe(false);
    expect(isAuthFailure(200, true)).toBe(false);
  });
});

describe('AuthFailureTracker', () => {
  it('reaches the threshold at exactly maxFailures', () => {
    const tracker = new AuthFailureTracker(options);
    for (let i = 1; i < 10; i++) expect(tracker.recordFailure('192.0.2.1', '1001', i).thresholdReached).toBe(false);
    expect(tracker.recordFailure('192.0.2.1', '1001', 10)).toMatchObject({ failures: 10, thresholdReached: true });
  });

  it('the window slides', () => {
    const tracker = new AuthFailureTracker(options);
    for (let i = 0; i < 9; i++) tracker.recordFailure('192.0.2.2', '1001', i * 1000);
    expect(tracker.recordFailure('192.0.2.2', '1001', 3_600_000 + 500)).toMatchObject({ failures: 9, thresholdReached: false });
  });

  it('a success clears the source', () => {
    const tracker = new AuthFailureTracker(options);
    for (let i = 0; i < 9; i++) tracker.recordFailure('192.0.2.3', '1001', i);
    tracker.recordSuccess('192.0.2.3', 10);
    expect(tracker.recordFailure('192.0.2.3', '1001', 11).failures).toBe(1);
  });

  it('detects enumeration: many usernames from one source', () => {
    const tracker = new AuthFailureTracker(options);
    const results = ['100', '101', '102', '103', '104'].map((user, i) => tracker.recordFailure('192.0.2.4', user, i));
    expect(results.map((r) => r.enumeration)).toEqual([false, false, false, false, true]);
    expect(results[4]?.distinctUsernames).toBe(5);
    // The same username again and again is not enumeration.
    const single = new AuthFailureTracker(options);
    for (let i = 0; i < 8; i++) expect(single.recordFailure('192.0.2.5', '100', i).enumeration).toBe(false);
  });

  it('a failure without a username still reports the usernames seen in the window', () => {
    const tracker = new AuthFailureTracker(options);
    expect(tracker.recordFailure('192.0.2.6', null, 0).distinctUsernames).toBe(0);
    for (const [i, user] of ['100', '101', '102'].entries()) tracker.recordFailure('192.0.2.6', user, i);
    expect(tracker.recordFailure('192.0.2.6', null, 10)).toMatchObject({ distinctUsernames: 3, distributed: null });
    expect(tracker.recordFailure('192.0.2.6', null, 600_010).distinctUsernames).toBe(0);
  });

  it('reports one username failing from many sources once, and again after it calms down', () => {
    const tracker = new AuthFailureTracker(options);
    expect(tracker.recordFailure('198.51.100.1', 'ceo', 0).distributed).toBeNull();
    expect(tracker.recordFailure('198.51.100.2', 'ceo', 1).distributed).toBeNull();
    expect(tracker.recordFailure('198.51.100.3', 'ceo', 2).distributed).toEqual({ username: 'ceo', sources: 3 });
    expect(tracker.recordFailure('198.51.100.4', 'ceo', 3).distributed).toBeNull();
    expect(tracker.recordFailure('198.51.100.5', 'ceo', 700_000).distributed).toBeNull();
    tracker.recordFailure('198.51.100.6', 'ceo', 700_001);
    expect(tracker.recordFailure('198.51.100.7', 'ceo', 700_002).distributed).toEqual({ username: 'ceo', sources: 3 });
  });

  it('memory is bounded by maxTracked', () => {
    const tracker = new AuthFailureTracker({ ...options, maxTracked: 500 });
    for (let i = 0; i < 20_000; i++) tracker.recordFailure(`10.0.${i >> 8}.${i & 255}`, `u${i}`, i);
    expect(tracker.trackedSources).toBe(500);
  });
});
