/** The daemon's OpenAPI document against its real routes, with every feature on (DND, routing, MFA). */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/admin/auth.js';
import { startDaemon, type RunningDaemon } from '../support/daemon.js';

const TOKEN = 'openapi-read-token-0123456789abcdefghijklm';
let dir: string;
let daemon: RunningDaemon;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-openapi-'));
  writeFileSync(path.join(dir, 'mfa.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
  daemon = await startDaemon({
    drachtioPort: 1,
    pbxPort: 5060,
    dir,
    yaml: `admin_api:\n  tokens:\n    - { name: r, sha256: ${hashToken(TOKEN)}, role: read }\nmfa:\n  enabled: true\n  key_file: ${path.join(dir, 'mfa.key')}\n`,
  });
});

afterAll(async () => {
  await daemon.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const toOpenApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('the daemon OpenAPI document', () => {
  it('documents every /api route of every feature, and nothing that is not served', async () => {
    const response = await fetch(`${daemon.adminUrl}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { paths: Record<string, Record<string, unknown>>; tags: Array<{ name: string }> };
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    const registered = new Set(daemon.app.routes.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD').map((r) => `${r.method} ${toOpenApiPath(r.url)}`));
    expect(registered.size).toBeGreaterThan(40);
    for (const route of registered) expect(documented, `${route} is not documented`).toContain(route);
    for (const op of documented) expect(registered, `${op} is documented but not served`).toContain(op);
    for (const area of ['/api/v1/dnd/rules/{id}', '/api/v1/queues/{number}/dry-run', '/api/v1/mfa/extensions/{extension}/verify', '/api/v1/auth/login']) {
      expect(Object.keys(doc.paths)).toContain(area);
    }
    expect(doc.tags.map((t) => t.name)).toEqual(expect.arrayContaining(['security', 'allowlist', 'status', 'dnd', 'routing', 'mfa']));
  });
});
