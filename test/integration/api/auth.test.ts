/**
 * Admin API authentication over real HTTP: bearer tokens, roles, /metrics and /healthz
 * policies, and the brute-force guard (real sockets from 127.0.0.x source addresses).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BearerTokens, generateToken, hashToken, parseBearer, roleAllows } from '../../../src/admin/auth.js';
import { ADMIN_TOKEN, READ_TOKEN, startHarness, type Harness } from './harness.js';

const READ_ROUTES = [
  '/api/v1/security/blocks',
  '/api/v1/security/blocks/history',
  '/api/v1/security/check/192.0.2.1',
  '/api/v1/security/summary',
  '/api/v1/security/events',
  '/api/v1/allowlist',
  '/api/v1/status',
  '/api/v1/openapi.json',
];

const WRITE_ROUTES: ReadonlyArray<{ method: string; path: string; body?: unknown }> = [
  { method: 'POST', path: '/api/v1/security/blocks', body: { target: '198.51.100.1' } },
  { method: 'DELETE', path: '/api/v1/security/blocks/198.51.100.1' },
  { method: 'POST', path: '/api/v1/allowlist', body: { cidr: '203.0.113.0/24' } },
  { method: 'DELETE', path: '/api/v1/allowlist/203.0.113.0%2F24' },
];

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('token helpers', () => {
  it('hashToken is lowercase SHA-256 hex', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('generateToken gives 256-bit base64url tokens, all different', () => {
    const a = generateToken();
    const b = generateToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(parseBearer(`Bearer ${a}`)).toBe(a);
  });

  it('parseBearer accepts only the Bearer scheme with one b64token', () => {
    expect(parseBearer(undefined)).toBeNull();
    expect(parseBearer('Basic dXNlcjpwYXNz')).toBeNull();
    expect(parseBearer('Bearer')).toBeNull();
    expect(parseBearer('Bearer a b')).toBeNull();
    expect(parseBearer('Bearer ' + 'a'.repeat(2000))).toBeNull();
    expect(parseBearer('bearer abc.DEF-_~+/=')).toBe('abc.DEF-_~+/=');
  });

  it('BearerTokens matches hashes case-insensitively and never the hash itself as a token', () => {
    const tokens = new BearerTokens([{ name: 'ops', sha256: hashToken('s3cret-token').toUpperCase(), role: 'admin' }]);
    expect(tokens.authenticate('Bearer s3cret-token')).toEqual({ name: 'ops', role: 'admin' });
    expect(tokens.authenticate(`Bearer ${hashToken('s3cret-token')}`)).toBeNull();
    expect(tokens.authenticate('Bearer s3cret-tokeN')).toBeNull();
    expect(() => new BearerTokens([{ name: 'x', sha256: 'not-hex', role: 'read' }])).toThrow(/64 hex/);
  });

  it('roles: read is GET/HEAD only, admin everything', () => {
    expect(roleAllows('read', 'GET')).toBe(true);
    expect(roleAllows('read', 'HEAD')).toBe(true);
    expect(roleAllows('read', 'POST')).toBe(false);
    expect(roleAllows('read', 'DELETE')).toBe(false);
    expect(roleAllows('admin', 'DELETE')).toBe(true);
  });
});

describe('roles over HTTP', () => {
  it('the read role can GET every read endpoint', async () => {
    h = await startHarness();
    for (const path of READ_ROUTES) {
      const res = await h.read('GET', path);
      expect(res.status, path).toBe(200);
    }
  });

  it('the read role gets 403 on every POST and DELETE, and nothing changes', async () => {
    h = await startHarness();
    await h.admin('POST', '/api/v1/security/blocks', { target: '198.51.100.1' });
    const before = (await h.admin('GET', '/api/v1/security/blocks')).json;
    for (const route of WRITE_ROUTES) {
      const res = await h.read(route.method, route.path, route.body);
      expect(res.status, `${route.method} ${route.path}`).toBe(403);
      expect(res.json).toEqual({ error: 'forbidden', message: expect.stringContaining('read') });
    }
    expect((await h.admin('GET', '/api/v1/security/blocks')).json).toEqual(before);
    expect((await h.admin('GET', '/api/v1/allowlist')).json).toMatchObject({ items: [{ origin: 'config' }, { origin: 'config' }] });
  });

  it('the admin role can do everything', async () => {
    h = await startHarness();
    for (const path of READ_ROUTES) expect((await h.admin('GET', path)).status, path).toBe(200);
    const expected = [201, 200, 201, 200];
    for (const [i, route] of WRITE_ROUTES.entries()) {
      const res = await h.admin(route.method, route.path, route.body);
      expect(res.status, `${route.method} ${route.path}`).toBe(expected[i]);
    }
  });

  it('no token, a wrong token or a malformed header: 401 with WWW-Authenticate: Bearer on every route', async () => {
    h = await startHarness({ maxFailures: 1000 });
    const all = [...READ_ROUTES.map((path) => ({ method: 'GET', path, body: undefined as unknown })), ...WRITE_ROUTES];
    for (const route of all) {
      const none = await h.req({ method: route.method, path: route.path, body: route.body });
      expect(none.status, `${route.method} ${route.path}`).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="sipwarden"');
      expect(none.json).toEqual({ error: 'unauthorized', message: expect.stringContaining('missing token') });

      const wrong = await h.req({ method: route.method, path: route.path, body: route.body, token: 'not-the-token' });
      expect(wrong.status).toBe(401);
      expect(wrong.headers['www-authenticate']).toBe('Bearer realm="sipwarden", error="invalid_token"');
    }
    for (const authorization of ['Basic b3BzOnMzY3JldA==', 'Bearer', `Bearer ${ADMIN_TOKEN} extra`, `Token ${ADMIN_TOKEN}`, `Bearer ${hashToken(ADMIN_TOKEN)}`]) {
      const res = await h.req({ path: '/api/v1/status', headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    }
    // Nothing was created by the unauthenticated writes.
    expect((await h.admin('GET', '/api/v1/security/blocks')).json).toMatchObject({ total: 0 });
  });

  it('the Bearer scheme name is case-insensitive', async () => {
    h = await startHarness();
    expect((await h.req({ path: '/api/v1/status', headers: { authorization: `bearer ${READ_TOKEN}` } })).status).toBe(200);
  });

  it('with no tokens configured, every /api request is refused', async () => {
    h = await startHarness({ tokens: [] });
    expect((await h.admin('GET', '/api/v1/status')).status).toBe(401);
  });
});

describe('/metrics and /healthz policies', () => {
  it('are open by default', async () => {
    h = await startHarness();
    expect((await h.req({ path: '/metrics' })).status).toBe(200);
    expect((await h.req({ path: '/healthz' })).status).toBe(200);
  });

  it('with "token" need a valid token of any role', async () => {
    h = await startHarness({ metricsAuth: 'token', healthAuth: 'token' });
    for (const path of ['/metrics', '/healthz']) {
      const none = await h.req({ path });
      expect(none.status, path).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await h.req({ path, token: 'wrong' })).status).toBe(401);
      expect((await h.req({ path, token: READ_TOKEN })).status).toBe(200);
      expect((await h.req({ path, token: ADMIN_TOKEN })).status).toBe(200);
    }
    expect((await h.req({ path: '/metrics', token: READ_TOKEN })).text).toMatch(/^# TYPE sipwarden_requests_total counter$/m);
  });

  it('can differ: token metrics, open health', async () => {
    h = await startHarness({ metricsAuth: 'token', healthAuth: 'open' });
    expect((await h.req({ path: '/metrics' })).status).toBe(401);
    expect((await h.req({ path: '/healthz' })).status).toBe(200);
  });
});

describe('admin brute-force guard', () => {
  const BAD = 'guessed-token-000000000000000000000000000';

  it('N failed logins from one IP block that IP; then even the right token gets 403 until it is unblocked', async () => {
    h = await startHarness({ maxFailures: 5 });
    for (let i = 1; i <= 5; i++) {
      const res = await h.req({ path: '/api/v1/status', token: BAD, from: '127.0.0.2' });
      expect(res.status, `attempt ${i}`).toBe(401);
    }
    const refused = await h.req({ path: '/api/v1/status', token: ADMIN_TOKEN, from: '127.0.0.2' });
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ error: 'forbidden', message: 'this source address is blocked' });
    // Blocked addresses are not even challenged, and their further attempts are not counted.
    expect((await h.req({ path: '/api/v1/status', token: BAD, from: '127.0.0.2' })).status).toBe(403);
    expect((await h.req({ path: '/metrics', from: '127.0.0.2' })).status).toBe(200);

    // Other addresses are not affected.
    expect((await h.req({ path: '/api/v1/status', token: ADMIN_TOKEN, from: '127.0.0.1' })).status).toBe(200);

    // The block is a real blocklist entry with source admin-auth, visible in the API and the events.
    const blocks = await h.admin('GET', '/api/v1/security/blocks?source=admin-auth');
    expect(blocks.json).toMatchObject({
      total: 1,
      items: [{ target: '127.0.0.2', source: 'admin-auth', expiresAt: new Date(h.now() + 600_000).toISOString(), permanent: false }],
    });
    const failures = await h.admin('GET', '/api/v1/security/events?type=admin-auth-failure&ip=127.0.0.2');
    expect(failures.json).toMatchObject({ total: 5 });
    const blockEvents = await h.admin('GET', '/api/v1/security/events?type=block&ip=127.0.0.2');
    expect(blockEvents.json).toMatchObject({ total: 1, items: [{ severity: 'high', details: { source: 'admin-auth' } }] });

    // Lifted by an admin from another address: the right token works again.
    expect((await h.admin('DELETE', '/api/v1/security/blocks/127.0.0.2')).status).toBe(200);
    expect((await h.req({ path: '/api/v1/status', token: ADMIN_TOKEN, from: '127.0.0.2' })).status).toBe(200);
  });

  it('the block expires after block_for', async () => {
    h = await startHarness({ maxFailures: 3, blockForMs: 60_000 });
    for (let i = 0; i < 3; i++) await h.req({ path: '/api/v1/status', from: '127.0.0.3' });
    expect((await h.req({ path: '/api/v1/status', token: READ_TOKEN, from: '127.0.0.3' })).status).toBe(403);
    h.advance(59_999);
    expect((await h.req({ path: '/api/v1/status', token: READ_TOKEN, from: '127.0.0.3' })).status).toBe(403);
    h.advance(1);
    expect((await h.req({ path: '/api/v1/status', token: READ_TOKEN, from: '127.0.0.3' })).status).toBe(200);
  });

  it('counts failures in a sliding window, per source address, missing tokens included', async () => {
    h = await startHarness({ maxFailures: 3, windowMs: 60_000 });
    await h.req({ path: '/api/v1/status', token: BAD, from: '127.0.0.4' });
    await h.req({ path: '/api/v1/status', from: '127.0.0.4' });
    h.advance(60_001);
    // The first two fell out of the window.
    await h.req({ path: '/api/v1/status', token: BAD, from: '127.0.0.4' });
    await h.req({ path: '/api/v1/status', token: BAD, from: '127.0.0.4' });
    expect((await h.req({ path: '/api/v1/status', token: READ_TOKEN, from: '127.0.0.4' })).status).toBe(200);
    // Two failures each from two more addresses: nobody reaches three.
    for (const from of ['127.0.0.5', '127.0.0.6']) {
      await h.req({ path: '/api/v1/security/blocks', method: 'POST', body: { target: '198.51.100.9' }, token: BAD, from });
      await h.req({ path: '/api/v1/security/events', from });
    }
    for (const from of ['127.0.0.4', '127.0.0.5', '127.0.0.6']) {
      expect((await h.req({ path: '/api/v1/status', token: READ_TOKEN, from })).status, from).toBe(200);
    }
    // The third failure inside the window blocks.
    await h.req({ path: '/api/v1/status', from: '127.0.0.4' });
    expect((await h.req({ path: '/api/v1/status', token: READ_TOKEN, from: '127.0.0.4' })).status).toBe(403);
  });

  it('failed logins on /metrics (token policy) count too', async () => {
    h = await startHarness({ maxFailures: 2, metricsAuth: 'token' });
    await h.req({ path: '/metrics', from: '127.0.0.7' });
    await h.req({ path: '/metrics', token: BAD, from: '127.0.0.7' });
    expect((await h.req({ path: '/metrics', token: READ_TOKEN, from: '127.0.0.7' })).status).toBe(403);
    expect((await h.req({ path: '/api/v1/status', token: READ_TOKEN, from: '127.0.0.7' })).status).toBe(403);
  });

  it('never trusts X-Forwarded-For: the TCP peer is the one counted and blocked', async () => {
    h = await startHarness({ maxFailures: 2 });
    for (let i = 0; i < 2; i++) {
      await h.req({ path: '/api/v1/status', token: BAD, from: '127.0.0.8', headers: { 'x-forwarded-for': '127.0.0.9', 'x-real-ip': '127.0.0.9' } });
    }
    expect((await h.req({ path: '/api/v1/status', token: ADMIN_TOKEN, from: '127.0.0.8' })).status).toBe(403);
    expect((await h.req({ path: '/api/v1/status', token: ADMIN_TOKEN, from: '127.0.0.9' })).status).toBe(200);
    // A spoofed header cannot dodge a block either.
    expect((await h.req({ path: '/api/v1/status', token: ADMIN_TOKEN, from: '127.0.0.8', headers: { 'x-forwarded-for': '127.0.0.1' } })).status).toBe(403);
  });

  it('an address inside any active block (e.g. a manual range) is refused on /api', async () => {
    h = await startHarness();
    expect((await h.admin('POST', '/api/v1/security/blocks', { target: '127.0.0.8/29', reason: 'lab range' })).status).toBe(201);
    expect((await h.req({ path: '/api/v1/status', token: ADMIN_TOKEN, from: '127.0.0.10' })).status).toBe(403);
    expect((await h.req({ path: '/api/v1/status', token: ADMIN_TOKEN, from: '127.0.0.16' })).status).toBe(200);
  });
});

describe('which blocks close the admin API', () => {
  it('admin-port brute force and manual blocks do; blocks for SIP behaviour do not (the token still decides)', async () => {
    h = await startHarness();
    h.deps.blocklist.block({ target: '127.0.0.3', source: 'scanner', reason: 'sipvicious', durationMs: 3_600_000 }, h.now());
    expect((await h.req({ path: '/api/v1/status', token: ADMIN_TOKEN, from: '127.0.0.3' })).status).toBe(200);
    h.deps.blocklist.block({ target: '127.0.0.4', source: 'manual', reason: 'ops', durationMs: 3_600_000 }, h.now());
    expect((await h.req({ path: '/api/v1/status', token: ADMIN_TOKEN, from: '127.0.0.4' })).status).toBe(403);
  });
});
