/**
 * /api/v1/allowlist over real HTTP: run-time trusted networks, persisted and applied live.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('/api/v1/allowlist', () => {
  it('lists the networks from the config file as read-only entries', async () => {
    h = await startHarness();
    const res = await h.read('GET', '/api/v1/allowlist');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      items: [
        { cidr: '10.20.0.0/16', note: null, origin: 'config', createdAt: null },
        { cidr: '192.0.2.250/32', note: null, origin: 'config', createdAt: null },
      ],
    });
  });

  it('adds a network: persisted in the store, trusted at once, listed', async () => {
    h = await startHarness();
    expect((await h.read('GET', '/api/v1/security/check/203.0.113.9')).json).toMatchObject({ trusted: false });

    const res = await h.admin('POST', '/api/v1/allowlist', { cidr: '203.0.113.77/24', note: 'branch office' });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ cidr: '203.0.113.0/24', note: 'branch office', origin: 'runtime', createdAt: new Date(h.now()).toISOString() });

    expect(h.deps.trustedNetworks.list()).toMatchObject([{ cidr: '203.0.113.0/24', note: 'branch office' }]);
    expect(h.deps.allowlist.isTrusted('203.0.113.9')).toBe(true);
    expect((await h.read('GET', '/api/v1/security/check/203.0.113.9')).json).toMatchObject({ trusted: true });
    // A trusted address cannot be blocked any more.
    expect((await h.admin('POST', '/api/v1/security/blocks', { target: '203.0.113.9' })).status).toBe(409);

    const list = (await h.read('GET', '/api/v1/allowlist')).json as { items: Array<{ cidr: string; origin: string }> };
    expect(list.items.map((i) => `${i.origin}:${i.cidr}`)).toEqual(['config:10.20.0.0/16', 'config:192.0.2.250/32', 'runtime:203.0.113.0/24']);
  });

  it('adds single addresses as /32 and /128', async () => {
    h = await startHarness();
    expect((await h.admin('POST', '/api/v1/allowlist', { cidr: '198.51.100.4' })).json).toMatchObject({ cidr: '198.51.100.4/32', note: null });
    expect((await h.admin('POST', '/api/v1/allowlist', { cidr: '2001:DB8::4' })).json).toMatchObject({ cidr: '2001:db8::4/128' });
    expect(h.deps.allowlist.isTrusted('2001:db8::4')).toBe(true);
  });

  it('409 for a network that is already there (config or run time)', async () => {
    h = await startHarness();
    await h.admin('POST', '/api/v1/allowlist', { cidr: '203.0.113.0/24' });
    const dup = await h.admin('POST', '/api/v1/allowlist', { cidr: '203.0.113.1/24' });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({ error: 'conflict', message: '203.0.113.0/24 is already in the allowlist' });
    expect((await h.admin('POST', '/api/v1/allowlist', { cidr: '10.20.0.0/16' })).status).toBe(409);
    expect((await h.admin('POST', '/api/v1/allowlist', { cidr: '192.0.2.250' })).status).toBe(409);
    expect(h.deps.trustedNetworks.list()).toHaveLength(1);
  });

  it('400 for bad bodies', async () => {
    h = await startHarness();
    for (const [body, field] of [
      [{ cidr: '10.0.0.0/33' }, 'body.cidr'],
      [{ cidr: 'office' }, 'body.cidr'],
      [{}, 'body.cidr'],
      [{ cidr: '10.0.0.0/8', note: '' }, 'body.note'],
      [{ cidr: '10.0.0.0/8', note: 'n'.repeat(201) }, 'body.note'],
      [{ cidr: '10.0.0.0/8', ttl: 5 }, 'body: unknown field "ttl"'],
    ] as const) {
      const res = await h.admin('POST', '/api/v1/allowlist', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json).toEqual({ error: 'bad-request', message: expect.stringContaining(field) });
    }
    expect(h.deps.trustedNetworks.list()).toHaveLength(0);
  });

  it('removes a run-time network (URL-encoded), live; 404 when absent; 409 for config entries', async () => {
    h = await startHarness();
    await h.admin('POST', '/api/v1/allowlist', { cidr: '203.0.113.0/24', note: 'temp' });
    const res = await h.admin('DELETE', '/api/v1/allowlist/203.0.113.0%2F24');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ cidr: '203.0.113.0/24', removed: true });
    expect(h.deps.trustedNetworks.list()).toHaveLength(0);
    expect(h.deps.allowlist.isTrusted('203.0.113.9')).toBe(false);

    const again = await h.admin('DELETE', '/api/v1/allowlist/203.0.113.0%2F24');
    expect(again.status).toBe(404);
    expect(again.json).toEqual({ error: 'not-found', message: '203.0.113.0/24 is not in the run-time allowlist' });

    const configured = await h.admin('DELETE', '/api/v1/allowlist/10.20.0.0%2F16');
    expect(configured.status).toBe(409);
    expect(h.deps.allowlist.isTrusted('10.20.1.1')).toBe(true);

    expect((await h.admin('DELETE', '/api/v1/allowlist/nonsense')).status).toBe(400);
  });

  it('removes a single address by its plain spelling', async () => {
    h = await startHarness();
    await h.admin('POST', '/api/v1/allowlist', { cidr: '198.51.100.4' });
    expect((await h.admin('DELETE', '/api/v1/allowlist/198.51.100.4')).json).toEqual({ cidr: '198.51.100.4/32', removed: true });
  });
});
