/**
 * /api/v1/security/check/:ip, /security/summary and /security/events over real HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EventSeverity, EventType, SecurityEvent } from '../../../src/events.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const MIN = 60_000;
const HOUR = 3_600_000;

function event(type: EventType, at: number, fields: { ip?: string; username?: string; severity?: EventSeverity; details?: Record<string, unknown> } = {}): SecurityEvent {
  return {
    type,
    severity: fields.severity ?? 'medium',
    ip: fields.ip ?? null,
    username: fields.username ?? null,
    method: type === 'auth-failure' ? 'REGISTER' : null,
    details: fields.details ?? {},
    at,
  };
}

/** Events over the last two days, recorded through the real event sink (write-behind). */
function seedEvents(): void {
  const now = h.now();
  const sink = h.deps.events;
  // Old: 30 hours ago.
  sink.record(event('auth-failure', now - 30 * HOUR, { ip: '203.0.113.50', username: '100' }));
  sink.record(event('scanner', now - 30 * HOUR, { ip: '203.0.113.50', severity: 'high' }));
  // Recent: last two hours.
  for (let i = 0; i < 5; i++) sink.record(event('auth-failure', now - 90 * MIN + i * MIN, { ip: '198.51.100.7', username: i < 3 ? '1001' : '1002' }));
  sink.record(event('auth-failure', now - 80 * MIN, { ip: '198.51.100.8', username: '1001' }));
  sink.record(event('scanner', now - 70 * MIN, { ip: '198.51.100.7', severity: 'high', details: { rule: 'sipvicious-ua' } }));
  sink.record(event('scanner', now - 30 * MIN, { ip: '198.51.100.9', severity: 'high' }));
  sink.record(event('flood', now - 20 * MIN, { ip: '198.51.100.10', severity: 'critical' }));
  sink.record(event('enumeration', now - 10 * MIN, { ip: '198.51.100.7', severity: 'high' }));
}

describe('GET /api/v1/security/check/:ip', () => {
  it('reports an unknown address as clean', async () => {
    h = await startHarness();
    const res = await h.read('GET', '/api/v1/security/check/192.0.2.44');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ip: '192.0.2.44', blocked: false, trusted: false, threatScore: expect.any(Number), signals: expect.any(Array), recentEvents: [] });
  });

  it('reports the block covering the address (a range), and its recent events newest first', async () => {
    h = await startHarness();
    seedEvents();
    await h.admin('POST', '/api/v1/security/blocks', { target: '198.51.100.0/28', reason: 'botnet', duration: '2h' });
    const res = await h.read('GET', '/api/v1/security/check/198.51.100.7');
    expect(res.status).toBe(200);
    const body = res.json as { recentEvents: Array<{ type: string; at: string; ip: string }> } & Record<string, unknown>;
    expect(body).toMatchObject({
      ip: '198.51.100.7',
      blocked: true,
      block: { target: '198.51.100.0/28', reason: 'botnet', source: 'manual', expiresAt: new Date(h.now() + 2 * HOUR).toISOString() },
      trusted: false,
    });
    expect(body.recentEvents.map((e) => e.type)).toEqual(['enumeration', 'scanner', 'auth-failure', 'auth-failure', 'auth-failure', 'auth-failure', 'auth-failure']);
    expect(body.recentEvents.every((e) => e.ip === '198.51.100.7')).toBe(true);
    const times = body.recentEvents.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(body.recentEvents[1]).toMatchObject({ severity: 'high', details: { rule: 'sipvicious-ua' } });
  });

  it('reports trusted addresses and normalises the address', async () => {
    h = await startHarness();
    expect((await h.read('GET', '/api/v1/security/check/10.20.9.9')).json).toMatchObject({ ip: '10.20.9.9', trusted: true, blocked: false });
    expect((await h.read('GET', `/api/v1/security/check/${encodeURIComponent('::ffff:10.20.9.9')}`)).json).toMatchObject({ ip: '10.20.9.9', trusted: true });
    expect((await h.read('GET', '/api/v1/security/check/2001:DB8::0:1')).json).toMatchObject({ ip: '2001:db8::1' });
  });

  it('400 for a range or a non-address', async () => {
    h = await startHarness();
    for (const bad of ['198.51.100.0%2F24', '1.2.3', 'localhost']) {
      const res = await h.read('GET', `/api/v1/security/check/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.json).toEqual({ error: 'bad-request', message: expect.stringMatching(/^path\.ip: /) });
    }
  });
});

describe('GET /api/v1/security/events', () => {
  type Page = { total: number; limit: number; offset: number; items: Array<{ type: string; ip: string | null; username: string | null; severity: string; at: string }> };
  const get = async (q = ''): Promise<Page> => {
    const res = await h.read('GET', `/api/v1/security/events${q}`);
    expect(res.status, q).toBe(200);
    return res.json as Page;
  };

  it('lists every event newest first', async () => {
    h = await startHarness();
    seedEvents();
    const page = await get();
    expect(page.total).toBe(12);
    const times = page.items.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(page.items[0]).toMatchObject({ type: 'enumeration', ip: '198.51.100.7' });
  });

  it('filters by type (one or several), severity, ip, username, since and until', async () => {
    h = await startHarness();
    seedEvents();
    const now = h.now();
    expect((await get('?type=auth-failure')).total).toBe(7);
    expect((await get('?type=scanner,flood')).total).toBe(4);
    expect((await get('?severity=critical')).items.map((e) => e.type)).toEqual(['flood']);
    expect((await get('?ip=198.51.100.7')).total).toBe(7);
    expect((await get('?ip=198.51.100.7&type=auth-failure&username=1002')).total).toBe(2);
    expect((await get('?username=1001')).total).toBe(4);
    expect((await get(`?since=${new Date(now - 2 * HOUR).toISOString()}`)).total).toBe(10);
    expect((await get(`?until=${now - 2 * HOUR}`)).total).toBe(2);
    expect((await get(`?since=${now - 75 * MIN}&until=${now - 25 * MIN}&type=scanner`)).items.map((e) => e.ip)).toEqual(['198.51.100.9', '198.51.100.7']);
  });

  it('paginates', async () => {
    h = await startHarness();
    seedEvents();
    const all = (await get('?limit=500')).items;
    expect(all).toHaveLength(12);
    expect((await get('?limit=5')).items).toEqual(all.slice(0, 5));
    expect((await get('?limit=5&offset=5')).items).toEqual(all.slice(5, 10));
    expect(await get('?limit=5&offset=10')).toMatchObject({ total: 12, limit: 5, offset: 10, items: all.slice(10) });
    expect(await get('?offset=12')).toMatchObject({ total: 12, items: [] });
  });

  it('sees events recorded a moment ago (the write-behind buffer is flushed first)', async () => {
    h = await startHarness();
    h.deps.events.record(event('flood', h.now(), { ip: '192.0.2.1' }));
    expect((await get('?type=flood')).total).toBe(1);
  });

  it('400 for bad filters, naming the parameter', async () => {
    h = await startHarness();
    for (const [q, field] of [
      ['type=nope', 'query.type: unknown event type "nope"'],
      ['type=scanner,nope', 'query.type: unknown event type "nope"'],
      ['type=', 'query.type'],
      ['severity=urgent', 'query.severity'],
      ['ip=999.1.1.1', 'query.ip'],
      ['ip=198.51.100.0/24', 'query.ip'],
      ['since=last-week', 'query.since'],
      ['since=2026-03-01', 'query.since'],
      ['until=1700000000000&since=1800000000000', 'query.until: until is before since'],
      ['limit=0', 'query.limit'],
      ['offset=x', 'query.offset'],
      ['user=1001', 'query: unknown field "user"'],
    ] as const) {
      const res = await h.read('GET', `/api/v1/security/events?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.json).toEqual({ error: 'bad-request', message: expect.stringContaining(field) });
    }
  });
});

describe('GET /api/v1/security/summary', () => {
  it('counts the last 24 hours by default', async () => {
    h = await startHarness();
    seedEvents();
    await h.admin('POST', '/api/v1/security/blocks', { target: '198.51.100.7' });
    h.deps.blocklist.block({ target: '198.51.100.10', source: 'flood', reason: 'flood', durationMs: 300_000 }, h.now());
    const res = await h.read('GET', '/api/v1/security/summary');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      since: new Date(h.now() - 24 * HOUR).toISOString(),
      until: new Date(h.now()).toISOString(),
      hours: 24,
      blockedIps: { active: 2, activeBySource: { manual: 1, flood: 1 }, newInPeriod: 2 },
      failedAuths: 6,
      scannerHits: 2,
      floods: 1,
      adminAuthFailures: 0,
    });
    const body = res.json as { topIps: Array<{ ip: string; count: number }>; topUsernames: Array<{ username: string; count: number }>; eventsByType: Record<string, number> };
    expect(body.topIps[0]).toEqual({ ip: '198.51.100.7', count: 8 });
    expect(body.topUsernames[0]).toEqual({ username: '1001', count: 4 });
    expect(body.eventsByType).toMatchObject({ 'auth-failure': 6, scanner: 2, flood: 1, enumeration: 1, block: 1 });
  });

  it('takes the period in hours and the length of the top lists', async () => {
    h = await startHarness();
    seedEvents();
    const wide = (await h.read('GET', '/api/v1/security/summary?hours=48&top=1')).json as { failedAuths: number; scannerHits: number; topIps: unknown[]; topUsernames: unknown[] };
    expect(wide).toMatchObject({ hours: 48, failedAuths: 7, scannerHits: 3 });
    expect(wide.topIps).toHaveLength(1);
    expect(wide.topUsernames).toHaveLength(1);
    const narrow = (await h.read('GET', '/api/v1/security/summary?hours=1')).json;
    expect(narrow).toMatchObject({ hours: 1, failedAuths: 0, scannerHits: 1, floods: 1 });
  });

  it('counts failed admin logins', async () => {
    h = await startHarness();
    await h.req({ path: '/api/v1/status', token: 'wrong', from: '127.0.0.2' });
    expect((await h.read('GET', '/api/v1/security/summary')).json).toMatchObject({ adminAuthFailures: 1 });
  });

  it('400 for a bad period', async () => {
    h = await startHarness();
    for (const q of ['hours=0', 'hours=2161', 'hours=1.5', 'hours=day', 'top=0', 'top=101', 'days=1']) {
      const res = await h.read('GET', `/api/v1/security/summary?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.json).toEqual({ error: 'bad-request', message: expect.stringMatching(/^query/) });
    }
  });
});
