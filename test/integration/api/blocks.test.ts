/**
 * /api/v1/security/blocks over real HTTP: create (all duration forms, normalisation,
 * validation), lift, list with filters and pagination, history, durability.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startHarness, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const HOUR = 3_600_000;

describe('POST /api/v1/security/blocks', () => {
  it('blocks an address for the default duration, answers 201 with the block, and records an event', async () => {
    h = await startHarness();
    const res = await h.admin('POST', '/api/v1/security/blocks', { target: '198.51.100.7', reason: 'scanning us' });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json).toEqual({
      target: '198.51.100.7',
      source: 'manual',
      reason: 'scanning us',
      createdAt: new Date(h.now()).toISOString(),
      expiresAt: new Date(h.now() + HOUR).toISOString(),
      permanent: false,
      offence: 0,
    });
    expect(h.deps.blocklist.find('198.51.100.7', h.now())).toMatchObject({ target: '198.51.100.7', source: 'manual' });
    const events = await h.admin('GET', '/api/v1/security/events?type=block');
    expect(events.json).toMatchObject({ total: 1, items: [{ ip: '198.51.100.7', details: { source: 'manual', actor: 'ops', reason: 'scanning us' } }] });
  });

  it('accepts every duration form, and permanent', async () => {
    h = await startHarness();
    const cases: Array<[unknown, number | null]> = [
      ['2h', 2 * HOUR],
      ['90s', 90_000],
      ['30m', 30 * 60_000],
      ['7d', 7 * 24 * HOUR],
      ['1w', 7 * 24 * HOUR],
      [90, 90_000],
      ['3600', HOUR],
    ];
    for (const [i, [duration, ms]] of cases.entries()) {
      const target = `198.51.100.${i + 1}`;
      const res = await h.admin('POST', '/api/v1/security/blocks', { target, duration });
      expect(res.status, String(duration)).toBe(201);
      expect(res.json, String(duration)).toMatchObject({ target, expiresAt: new Date(h.now() + (ms ?? 0)).toISOString(), permanent: false });
    }
    const permanent = await h.admin('POST', '/api/v1/security/blocks', { target: '198.51.100.99', permanent: true });
    expect(permanent.json).toMatchObject({ expiresAt: null, permanent: true });
    const notPermanent = await h.admin('POST', '/api/v1/security/blocks', { target: '198.51.100.98', permanent: false });
    expect(notPermanent.json).toMatchObject({ expiresAt: new Date(h.now() + HOUR).toISOString(), permanent: false });
    h.advance(400 * 24 * HOUR);
    expect(h.deps.blocklist.find('198.51.100.99', h.now())).not.toBeNull();
  });

  it('normalises targets: IPv6 case and zeros, IPv4-mapped IPv6, host bits of a CIDR', async () => {
    h = await startHarness();
    const cases: Array<[string, string]> = [
      ['2001:DB8:0:0::1', '2001:db8::1'],
      ['::ffff:203.0.113.5', '203.0.113.5'],
      ['198.51.100.77/24', '198.51.100.0/24'],
      ['2001:db8:abcd::1/48', '2001:db8:abcd::/48'],
      [' 192.0.2.33 ', '192.0.2.33'],
    ];
    for (const [input, canonical] of cases) {
      const res = await h.admin('POST', '/api/v1/security/blocks', { target: input });
      expect(res.status, input).toBe(201);
      expect(res.json, input).toMatchObject({ target: canonical });
    }
    // A range block covers its addresses.
    expect(h.deps.blocklist.find('198.51.100.200', h.now())).toMatchObject({ target: '198.51.100.0/24' });
  });

  it('defaults the reason to who blocked it', async () => {
    h = await startHarness();
    expect((await h.admin('POST', '/api/v1/security/blocks', { target: '192.0.2.9' })).json).toMatchObject({ reason: 'blocked by ops' });
  });

  it('blocking again replaces the block (new expiry)', async () => {
    h = await startHarness();
    await h.admin('POST', '/api/v1/security/blocks', { target: '192.0.2.9', duration: '1h' });
    const again = await h.admin('POST', '/api/v1/security/blocks', { target: '192.0.2.9', duration: '5h' });
    expect(again.status).toBe(201);
    expect(again.json).toMatchObject({ expiresAt: new Date(h.now() + 5 * HOUR).toISOString() });
    expect((await h.admin('GET', '/api/v1/security/blocks')).json).toMatchObject({ total: 1 });
  });

  it('refuses to block a trusted address (409): it would never take effect', async () => {
    h = await startHarness();
    const res = await h.admin('POST', '/api/v1/security/blocks', { target: '10.20.3.4' });
    expect(res.status).toBe(409);
    expect(res.json).toEqual({ error: 'conflict', message: expect.stringContaining('trusted') });
    expect((await h.admin('POST', '/api/v1/security/blocks', { target: '192.0.2.250' })).status).toBe(409);
  });

  const BAD_BODIES: Array<[string, unknown, RegExp]> = [
    ['short IPv4', { target: '1.2.3' }, /^body\.target: "1\.2\.3" is not an IPv4 or IPv6 address$/],
    ['octet > 255', { target: '300.1.1.1' }, /body\.target/],
    ['leading zero octet', { target: '010.1.1.1' }, /body\.target/],
    ['host name', { target: 'sip.example.com' }, /body\.target/],
    ['IPv6 zone', { target: 'fe80::1%eth0' }, /body\.target/],
    ['prefix too long', { target: '192.0.2.0/33' }, /^body\.target: "192\.0\.2\.0\/33" is not a CIDR range/],
    ['IPv6 prefix too long', { target: '2001:db8::/129' }, /body\.target: .* is not a CIDR range/],
    ['empty prefix', { target: '192.0.2.0/' }, /body\.target: .* is not a CIDR range/],
    ['two slashes', { target: '192.0.2.0/24/8' }, /body\.target/],
    ['bad CIDR address', { target: '192.0.2/24' }, /body\.target/],
    ['number target', { target: 123 }, /^body\.target: /],
    ['missing target', {}, /^body\.target: /],
    ['duration words', { target: '192.0.2.1', duration: '2 hours' }, /^body\.duration: "2 hours" is not a duration/],
    ['duration unknown unit', { target: '192.0.2.1', duration: '2y' }, /body\.duration: .* is not a duration/],
    ['negative duration', { target: '192.0.2.1', duration: -5 }, /body\.duration/],
    ['zero duration', { target: '192.0.2.1', duration: 0 }, /body\.duration: 0 is out of range/],
    ['fractional seconds', { target: '192.0.2.1', duration: 1.5 }, /body\.duration/],
    ['duration too long', { target: '192.0.2.1', duration: '3651d' }, /body\.duration: .* out of range/],
    ['duration and permanent', { target: '192.0.2.1', duration: '1h', permanent: true }, /^body\.permanent: give either duration or permanent/],
    ['permanent not boolean', { target: '192.0.2.1', permanent: 'yes' }, /^body\.permanent: /],
    ['empty reason', { target: '192.0.2.1', reason: '  ' }, /^body\.reason: /],
    ['reason too long', { target: '192.0.2.1', reason: 'x'.repeat(501) }, /^body\.reason: /],
    ['unknown field', { target: '192.0.2.1', until: 'tomorrow' }, /^body: unknown field "until"$/],
    ['array body', [{ target: '192.0.2.1' }], /^body: /],
  ];

  for (const [name, body, message] of BAD_BODIES) {
    it(`400 for ${name}, naming the field`, async () => {
      h = await startHarness();
      const res = await h.admin('POST', '/api/v1/security/blocks', body);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: 'bad-request', message: expect.stringMatching(message) });
      expect(h.deps.blocklist.active(h.now())).toHaveLength(0);
    });
  }

  it('400 for invalid JSON and for a missing body; 415 for another media type; 413 above 64 KiB', async () => {
    h = await startHarness();
    const badJson = await h.req({ method: 'POST', path: '/api/v1/security/blocks', token: ADMIN_TOKEN, rawBody: '{"target":', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(400);
    expect(badJson.json).toEqual({ error: 'bad-request', message: expect.stringContaining('JSON') });

    const noBody = await h.req({ method: 'POST', path: '/api/v1/security/blocks', token: ADMIN_TOKEN });
    expect(noBody.status).toBe(400);
    expect(noBody.json).toEqual({ error: 'bad-request', message: expect.stringMatching(/^body: /) });

    const text = await h.req({ method: 'POST', path: '/api/v1/security/blocks', token: ADMIN_TOKEN, rawBody: 'target=192.0.2.1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(text.status).toBe(415);
    expect(text.json).toMatchObject({ error: 'unsupported-media-type' });

    const big = await h.req({
      method: 'POST',
      path: '/api/v1/security/blocks',
      token: ADMIN_TOKEN,
      body: { target: '192.0.2.1', reason: 'x'.repeat(70 * 1024) },
    });
    expect(big.status).toBe(413);
    expect(big.json).toEqual({ error: 'payload-too-large', message: expect.any(String) });
    expect(h.deps.blocklist.active(h.now())).toHaveLength(0);
  });
});

describe('DELETE /api/v1/security/blocks/:target', () => {
  it('lifts a block (URL-encoded CIDR, IPv6), then 404', async () => {
    h = await startHarness();
    await h.admin('POST', '/api/v1/security/blocks', { target: '198.51.100.0/24' });
    await h.admin('POST', '/api/v1/security/blocks', { target: '2001:db8::/32' });
    await h.admin('POST', '/api/v1/security/blocks', { target: '192.0.2.7' });

    const cidr = await h.admin('DELETE', '/api/v1/security/blocks/198.51.100.0%2F24');
    expect(cidr.status).toBe(200);
    expect(cidr.json).toEqual({ target: '198.51.100.0/24', unblocked: true });
    expect(h.deps.blocklist.find('198.51.100.9', h.now())).toBeNull();

    // Non-canonical spelling of the same range.
    expect((await h.admin('DELETE', `/api/v1/security/blocks/${encodeURIComponent('2001:DB8:0::5/32')}`)).json).toEqual({ target: '2001:db8::/32', unblocked: true });
    expect((await h.admin('DELETE', '/api/v1/security/blocks/192.0.2.7')).status).toBe(200);

    const again = await h.admin('DELETE', '/api/v1/security/blocks/192.0.2.7');
    expect(again.status).toBe(404);
    expect(again.json).toEqual({ error: 'not-found', message: 'no active block for 192.0.2.7' });
    // An address inside a blocked range is not the range.
    await h.admin('POST', '/api/v1/security/blocks', { target: '203.0.113.0/24' });
    expect((await h.admin('DELETE', '/api/v1/security/blocks/203.0.113.5')).status).toBe(404);

    const events = await h.admin('GET', '/api/v1/security/events?type=unblock');
    expect(events.json).toMatchObject({ total: 3 });
  });

  it('400 for something that is not an address or range', async () => {
    h = await startHarness();
    const res = await h.admin('DELETE', '/api/v1/security/blocks/not-an-ip');
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'bad-request', message: expect.stringMatching(/^path\.target: /) });
    expect((await h.admin('DELETE', '/api/v1/security/blocks/192.0.2.0%2F40')).status).toBe(400);
  });

  it('404 for an expired block', async () => {
    h = await startHarness();
    await h.admin('POST', '/api/v1/security/blocks', { target: '192.0.2.7', duration: '1m' });
    h.advance(60_000);
    expect((await h.admin('DELETE', '/api/v1/security/blocks/192.0.2.7')).status).toBe(404);
  });
});

describe('GET /api/v1/security/blocks', () => {
  async function seed(): Promise<void> {
    // Seven blocks one minute apart; the last two from another source.
    for (let i = 1; i <= 7; i++) {
      if (i <= 5) await h.admin('POST', '/api/v1/security/blocks', { target: `198.51.100.${i}`, duration: '1d' });
      else h.deps.blocklist.block({ target: `203.0.113.${i}`, source: 'scanner', reason: 'sipvicious', durationMs: 86_400_000 }, h.now());
      h.advance(60_000);
    }
  }

  it('lists active blocks newest first, with a total', async () => {
    h = await startHarness();
    await seed();
    const res = await h.read('GET', '/api/v1/security/blocks');
    expect(res.status).toBe(200);
    const body = res.json as { total: number; limit: number; offset: number; items: Array<{ target: string }> };
    expect(body.total).toBe(7);
    expect(body.limit).toBe(50);
    expect(body.offset).toBe(0);
    expect(body.items.map((b) => b.target)).toEqual(['203.0.113.7', '203.0.113.6', '198.51.100.5', '198.51.100.4', '198.51.100.3', '198.51.100.2', '198.51.100.1']);
  });

  it('filters by source', async () => {
    h = await startHarness();
    await seed();
    expect((await h.read('GET', '/api/v1/security/blocks?source=scanner')).json).toMatchObject({ total: 2, items: [{ target: '203.0.113.7' }, { target: '203.0.113.6' }] });
    expect((await h.read('GET', '/api/v1/security/blocks?source=flood')).json).toMatchObject({ total: 0, items: [] });
    expect((await h.read('GET', '/api/v1/security/blocks?source=nope')).status).toBe(400);
  });

  it('paginates: first page, middle, last partial page, past the end', async () => {
    h = await startHarness();
    await seed();
    const page = async (q: string) => (await h.read('GET', `/api/v1/security/blocks?${q}`)).json as { total: number; items: Array<{ target: string }> };
    expect((await page('limit=3')).items.map((b) => b.target)).toEqual(['203.0.113.7', '203.0.113.6', '198.51.100.5']);
    expect((await page('limit=3&offset=3')).items.map((b) => b.target)).toEqual(['198.51.100.4', '198.51.100.3', '198.51.100.2']);
    expect((await page('limit=3&offset=6')).items.map((b) => b.target)).toEqual(['198.51.100.1']);
    expect(await page('limit=3&offset=7')).toMatchObject({ total: 7, items: [] });
    expect(await page('limit=1&offset=1000000')).toMatchObject({ total: 7, items: [] });
    expect((await page('limit=500')).items).toHaveLength(7);
  });

  it('400 for bad pagination and unknown query parameters', async () => {
    h = await startHarness();
    for (const [q, field] of [
      ['limit=0', 'query.limit'],
      ['limit=501', 'query.limit'],
      ['limit=-1', 'query.limit'],
      ['limit=abc', 'query.limit'],
      ['limit=2.5', 'query.limit'],
      ['offset=-1', 'query.offset'],
      ['offset=1000001', 'query.offset'],
      ['limit=1&limit=2', 'query.limit'],
      ['sort=asc', 'query: unknown field "sort"'],
    ] as const) {
      const res = await h.read('GET', `/api/v1/security/blocks?${q}`);
      expect(res.status, q).toBe(400);
      expect((res.json as { message: string }).message, q).toContain(field);
    }
  });

  it('expired blocks are not listed', async () => {
    h = await startHarness();
    await h.admin('POST', '/api/v1/security/blocks', { target: '192.0.2.1', duration: '10m' });
    await h.admin('POST', '/api/v1/security/blocks', { target: '192.0.2.2', duration: '1h' });
    h.advance(10 * 60_000);
    expect((await h.read('GET', '/api/v1/security/blocks')).json).toMatchObject({ total: 1, items: [{ target: '192.0.2.2' }] });
  });
});

describe('GET /api/v1/security/blocks/history', () => {
  it('lists every block newest first, lifted ones with liftedAt, filtered by target, source, since, until', async () => {
    h = await startHarness();
    const t0 = h.now();
    await h.admin('POST', '/api/v1/security/blocks', { target: '192.0.2.1', duration: '10m' });
    h.advance(HOUR);
    await h.admin('POST', '/api/v1/security/blocks', { target: '192.0.2.2', duration: '1d' });
    h.advance(HOUR);
    h.deps.blocklist.block({ target: '192.0.2.1', source: 'flood', reason: 'flood', durationMs: 300_000 }, h.now());
    h.advance(60_000);
    await h.admin('DELETE', '/api/v1/security/blocks/192.0.2.2');
    const liftedAt = h.now();

    const all = await h.read('GET', '/api/v1/security/blocks/history');
    expect(all.status).toBe(200);
    expect(all.json).toMatchObject({
      total: 3,
      items: [
        { target: '192.0.2.1', source: 'flood', liftedAt: null },
        { target: '192.0.2.2', source: 'manual', liftedAt: new Date(liftedAt).toISOString() },
        { target: '192.0.2.1', source: 'manual', liftedAt: null, createdAt: new Date(t0).toISOString() },
      ],
    });

    expect((await h.read('GET', '/api/v1/security/blocks/history?target=192.0.2.1')).json).toMatchObject({ total: 2 });
    expect((await h.read('GET', '/api/v1/security/blocks/history?source=flood')).json).toMatchObject({ total: 1, items: [{ source: 'flood' }] });
    const since = new Date(t0 + 30 * 60_000).toISOString();
    expect((await h.read('GET', `/api/v1/security/blocks/history?since=${since}`)).json).toMatchObject({ total: 2 });
    expect((await h.read('GET', `/api/v1/security/blocks/history?until=${t0 + 30 * 60_000}`)).json).toMatchObject({ total: 1, items: [{ target: '192.0.2.1', source: 'manual' }] });
    expect((await h.read('GET', '/api/v1/security/blocks/history?limit=1&offset=1')).json).toMatchObject({ total: 3, limit: 1, offset: 1, items: [{ target: '192.0.2.2' }] });
    expect((await h.read('GET', '/api/v1/security/blocks/history?offset=3')).json).toMatchObject({ total: 3, items: [] });
  });

  it('400 for bad filters', async () => {
    h = await startHarness();
    for (const [q, field] of [
      ['since=yesterday', 'query.since'],
      ['until=2026-13-01T00:00:00Z', 'query.until'],
      ['since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z', 'query.until: until is before since'],
      ['target=1.2.3', 'query.target'],
      ['source=nobody', 'query.source'],
    ] as const) {
      const res = await h.read('GET', `/api/v1/security/blocks/history?${q}`);
      expect(res.status, q).toBe(400);
      expect((res.json as { message: string }).message, q).toContain(field);
    }
  });
});

describe('no self-lockout', () => {
  it('refuses a manual block that covers the caller own address', async () => {
    h = await startHarness();
    const own = await h.req({ method: 'POST', path: '/api/v1/security/blocks', token: ADMIN_TOKEN, from: '127.0.0.5', body: { target: '127.0.0.0/8' } });
    expect(own.status).toBe(409);
    expect(own.json).toEqual({ error: 'conflict', message: '127.0.0.0/8 covers your own address 127.0.0.5: blocking it would lock you out of this API' });
    expect(h.deps.blocklist.find('127.0.0.5', h.now())).toBeNull();
    const other = await h.req({ method: 'POST', path: '/api/v1/security/blocks', token: ADMIN_TOKEN, from: '127.0.0.5', body: { target: '127.0.0.6' } });
    expect(other.status).toBe(201);
  });
});
