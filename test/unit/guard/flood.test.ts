import { describe, expect, it } from 'vitest';
import { FloodDetector } from '../../../src/guard/flood.js';

describe('FloodDetector', () => {
  const limit = { maxRequests: 30, windowMs: 2000 };

  it('allows exactly maxRequests in the window; the next one exceeds', () => {
    const flood = new FloodDetector({ limit, maxTrackedSources: 100 });
    for (let i = 0; i < 30; i++) expect(flood.hit('192.0.2.1', 'OPTIONS', i).exceeded).toBe(false);
    expect(flood.hit('192.0.2.1', 'OPTIONS', 30)).toMatchObject({ exceeded: true, count: 31, scope: 'all' });
  });

  it('the window slides: old requests stop counting', () => {
    const flood = new FloodDetector({ limit, maxTrackedSources: 100 });
    for (let i = 0; i < 30; i++) flood.hit('192.0.2.2', 'OPTIONS', i);
    // The first request (t=0) is outside the window at t=2000.
    expect(flood.hit('192.0.2.2', 'OPTIONS', 2000).exceeded).toBe(false);
    expect(flood.hit('192.0.2.2', 'OPTIONS', 2000).exceeded).toBe(true);
  });

  it('sources are counted apart', () => {
    const flood = new FloodDetector({ limit: { maxRequests: 1, windowMs: 1000 }, maxTrackedSources: 100 });
    expect(flood.hit('192.0.2.3', 'INVITE', 0).exceeded).toBe(false);
    expect(flood.hit('2001:db8::3', 'INVITE', 0).exceeded).toBe(false);
    expect(flood.hit('192.0.2.3', 'INVITE', 1).exceeded).toBe(true);
  });

  it('per-method limits trip before the overall one and say which', () => {
    const flood = new FloodDetector({ limit, perMethod: { REGISTER: { maxRequests: 3, windowMs: 1000 } }, maxTrackedSources: 100 });
    for (let i = 0; i < 3; i++) expect(flood.hit('192.0.2.4', 'REGISTER', i).exceeded).toBe(false);
    expect(flood.hit('192.0.2.4', 'OPTIONS', 3).exceeded).toBe(false);
    expect(flood.hit('192.0.2.4', 'REGISTER', 4)).toMatchObject({ exceeded: true, scope: 'REGISTER', limit: { maxRequests: 3 } });
  });

  it('new limits apply at once and keep what was counted', () => {
    const flood = new FloodDetector({ limit, maxTrackedSources: 100 });
    for (let i = 0; i < 10; i++) flood.hit('192.0.2.5', 'OPTIONS', i);
    flood.reconfigure({ limit: { maxRequests: 10, windowMs: 2000 } });
    expect(flood.hit('192.0.2.5', 'OPTIONS', 11)).toMatchObject({ exceeded: true, count: 11 });
  });

  it('memory stays bounded whatever the number of distinct sources (1,000,000 addresses)', () => {
    const flood = new FloodDetector({ limit, maxTrackedSources: 10_000 });
    for (let i = 0; i < 1_000_000; i++) {
      flood.hit(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'REGISTER', i);
    }
    expect(flood.trackedSources).toBe(10_000);
  });
});
