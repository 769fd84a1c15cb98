/**
 * The shape of the admin HTTP surface: OpenAPI document vs. real routes, 404/405,
 * error bodies without stack traces, security headers, /status.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SIPWARDEN_VERSION } from '../../../src/version.js';
import { ADMIN_TOKEN, READ_TOKEN, startHarness, T0, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

type OpenApiDoc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; responses: Record<string, unknown> }>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
  security: unknown[];
};

/** "/api/v1/security/blocks/:target" -> "/api/v1/security/blocks/{target}" */
const toOpenApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('OpenAPI document', () => {
  it('describes every registered /api route with its method, and nothing else', async () => {
    h = await startHarness();
    const res = await h.read('GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.json as OpenApiDoc;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toMatchObject({ title: 'sipwarden admin API', version: SIPWARDEN_VERSION });

    const apiRoutes = h.routes.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
    expect(apiRoutes.length).toBeGreaterThanOrEqual(12);
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    const registered = new Set(apiRoutes.map((r) => `${r.method} ${toOpenApiPath(r.url)}`));
    for (const route of registered) expect(documented, `${route} is not in the OpenAPI document`).toContain(route);
    for (const op of documented) expect(registered, `${op} is documented but not a route`).toContain(op);

    // Every documented operation is really served (the router finds it).
    for (const [path, ops] of Object.entries(doc.paths)) {
      const concrete = path.replace(/\{[^}]+\}/g, '192.0.2.1');
      for (const method of Object.keys(ops)) {
        expect(h.app.findRoute({ method: method.toUpperCase() as 'GET', url: concrete }), `${method} ${path}`).not.toBeNull();
      }
    }
  });

  it('documents parameters, bodies, error responses and bearer security', async () => {
    h = await startHarness();
    const doc = (await h.read('GET', '/api/v1/openapi.json')).json as OpenApiDoc;
    expect(doc.components.securitySchemes).toEqual({ bearerAuth: { type: 'http', scheme: 'bearer' } });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Block', 'Error', 'SecurityEvent']));

    const del = doc.paths['/api/v1/security/blocks/{target}']?.['delete'];
    expect(del?.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'target' })]);
    expect(Object.keys(del?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404']));

    const events = doc.paths['/api/v1/security/events']?.['get'];
    expect(events?.parameters?.map((p) => p.name).sort()).toEqual(['ip', 'limit', 'offset', 'severity', 'since', 'type', 'until', 'username']);

    const post = doc.paths['/api/v1/security/blocks']?.['post'] as unknown as {
      requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean } } } };
      responses: Record<string, { description: string }>;
    };
    const body = post.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties).sort()).toEqual(['duration', 'permanent', 'reason', 'target']);
    expect(body.required).toEqual(['target']);
    expect(body.additionalProperties).toBe(false);
    expect(post.responses['201']?.description).toMatch(/on disk/);
  });
});

describe('404, 405 and error bodies', () => {
  it('unknown routes: 404 JSON', async () => {
    h = await startHarness();
    for (const path of ['/api/v1/nope', '/api/v2/status', '/nope', '/api/v1/security/blocks/1.2.3.4/extra']) {
      const res = await h.admin('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json).toEqual({ error: 'not-found', message: expect.stringContaining(path) });
    }
  });

  it('known path, wrong method: 405 with Allow', async () => {
    h = await startHarness();
    const cases: Array<[string, string, string]> = [
      ['PUT', '/api/v1/security/blocks', 'GET, HEAD, POST'],
      ['PATCH', '/api/v1/status', 'GET, HEAD'],
      ['POST', '/api/v1/security/check/192.0.2.1', 'GET, HEAD'],
      ['GET', '/api/v1/allowlist/10.0.0.0%2F8', 'DELETE'],
      ['PUT', '/api/v1/security/blocks/192.0.2.1', 'DELETE'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['DELETE', '/metrics', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await h.req({ method, path, token: ADMIN_TOKEN });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers['allow'], `${method} ${path}`).toBe(allow);
      expect(res.json).toEqual({ error: 'method-not-allowed', message: expect.stringContaining(allow) });
    }
  });

  it('a read token on a missing route gets 404, not 403', async () => {
    h = await startHarness();
    expect((await h.read('POST', '/api/v1/nope', {})).status).toBe(404);
  });

  it('unexpected failures: 500 { error, message }, no stack trace, no internal message', async () => {
    h = await startHarness();
    // A real internal failure: the database goes away under the API.
    h.daemon.db.close();
    const res = await h.read('GET', '/api/v1/security/events');
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: 'internal', message: 'internal error' });
    expect(res.text).not.toMatch(/database|connection|stack|\bat \S+:\d+/);
  });

  it('error bodies are exactly { error, message }', async () => {
    h = await startHarness();
    const responses = [
      await h.req({ path: '/api/v1/status' }),
      await h.read('POST', '/api/v1/security/blocks', { target: '192.0.2.1' }),
      await h.admin('POST', '/api/v1/security/blocks', { target: 'x' }),
      await h.admin('GET', '/api/v1/nope'),
      await h.admin('PUT', '/api/v1/status'),
    ];
    for (const res of responses) {
      expect(Object.keys(res.json as object).sort(), String(res.status)).toEqual(['error', 'message']);
      expect(res.text).not.toContain('stack');
    }
  });
});

describe('security headers', () => {
  it('are on every response: success, errors, 404, 405, metrics', async () => {
    h = await startHarness();
    const responses = [
      await h.read('GET', '/api/v1/status'),
      await h.admin('POST', '/api/v1/security/blocks', { target: '198.51.100.1' }),
      await h.req({ path: '/api/v1/status' }),
      await h.read('POST', '/api/v1/security/blocks', {}),
      await h.admin('POST', '/api/v1/security/blocks', { target: 'x' }),
      await h.admin('GET', '/api/v1/nope'),
      await h.admin('PUT', '/api/v1/status'),
      await h.req({ path: '/metrics' }),
      await h.req({ path: '/healthz' }),
    ];
    for (const res of responses) {
      expect(res.headers['x-content-type-options'], String(res.status)).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    }
  });
});

describe('GET /api/v1/status', () => {
  it('reports version, uptime, drachtio connection, database and active blocks', async () => {
    h = await startHarness();
    await h.admin('POST', '/api/v1/security/blocks', { target: '198.51.100.1' });
    await h.admin('POST', '/api/v1/security/blocks', { target: '198.51.100.2', duration: '1m' });
    h.advance(60_000);
    const res = await h.read('GET', '/api/v1/status');
    expect(res.json).toEqual({
      version: SIPWARDEN_VERSION,
      startedAt: new Date(T0).toISOString(),
      uptimeSeconds: 150,
      drachtioConnected: true,
      databaseWritable: true,
      activeBlocks: 1,
    });
  });

  it('HEAD works where GET does, without a body', async () => {
    h = await startHarness();
    const res = await h.req({ method: 'HEAD', path: '/api/v1/status', token: READ_TOKEN });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });
});
