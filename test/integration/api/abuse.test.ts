/**
 * API abuse (issue 13): replays of the security review's findings against the whole daemon over
 * real HTTP. Defect 1: an `mfa` token's clientIp must be one IP address, and automatic blocks are
 * only ever single addresses.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/admin/auth.js';
import { apiCall } from '../../support/admin-api.js';
import { generateTotp } from '../../../src/mfa/index.js';
import { ManualClock, startDaemon, type RunningDaemon } from '../../support/daemon.js';

const PORTAL = 'abuse-portal-token-0123456789abcdefghijklmn';

let dir: string;
let daemon: RunningDaemon;
let clock: ManualClock;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-abuse-'));
  writeFileSync(path.join(dir, 'mfa.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
  clock = new ManualClock(Date.parse('2026-06-01T09:00:00Z'));
  const yaml = `admin_api:
  tokens:
    - { name: portal, sha256: ${hashToken(PORTAL)}, role: mfa }
auth_failures:
  max_failures: 3
mfa:
  enabled: true
  key_file: ${path.join(dir, 'mfa.key')}
`;
  daemon = await startDaemon({ drachtioPort: 1, pbxPort: 5060, clock, yaml, dir });
});

afterEach(async () => {
  await daemon.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const api = (method: string, p: string, body?: unknown) => apiCall(daemon.adminUrl, PORTAL, method, p, body);

async function enrolled(extension: string): Promise<void> {
  const enrollment = await api('POST', `/mfa/extensions/${extension}/enroll`);
  expect(enrollment.status).toBe(201);
  const secret = String(enrollment.json['secret']);
  expect((await api('POST', `/mfa/extensions/${extension}/verify-enrollment`, { code: generateTotp({ secret, now: clock.now() }) })).json).toEqual({ ok: true });
  clock.advance(30_000);
}

describe('defect 1: clientIp of MFA verify is one IP address', () => {
  it('refuses ranges and non-addresses with 400 and blocks nothing', async () => {
    await enrolled('2001');
    for (const bad of ['0.0.0.0/0', '::/0', '10.0.0.0/8', 'not-an-ip', '', '1.2.3.4 ', '01.2.3.4', 'fe80::1%eth0']) {
      for (let i = 0; i < 4; i++) {
        const res = await api('POST', '/mfa/extensions/2001/verify', { code: '000000', clientIp: bad });
        expect(res.status, `clientIp ${JSON.stringify(bad)}`).toBe(400);
        expect(JSON.stringify(res.json)).toMatch(/clientIp/);
        expect(JSON.stringify(res.json)).toMatch(/one IP address/);
      }
    }
    expect(daemon.app.guards.blocklist.active(clock.now())).toEqual([]);
    expect(daemon.app.guards.blocklist.find('198.51.100.1', clock.now())).toBeNull();
    expect(daemon.app.guards.blocklist.find('2001:db8::1', clock.now())).toBeNull();
  });

  it('normalises the address: failures in different spellings count against one address', async () => {
    await enrolled('2002');
    for (const spelling of ['2001:DB8::7', '2001:db8:0:0:0:0:0:7', '2001:db8::0007']) {
      expect((await api('POST', '/mfa/extensions/2002/verify', { code: '000000', clientIp: spelling })).status).toBe(200);
    }
    expect(daemon.app.guards.blocklist.find('2001:db8::7', clock.now())).toMatchObject({ target: '2001:db8::7', source: 'auth-failures' });
  });

  it('the block code refuses a range from an automatic source', () => {
    const now = clock.now();
    expect(() => daemon.app.guards.blocklist.block({ target: '0.0.0.0/0', source: 'auth-failures', reason: 'x', durationMs: 1000 }, now)).toThrow(/single address/);
    expect(() => daemon.app.guards.blocklist.block({ target: '::/0', source: 'scanner', reason: 'x', durationMs: 1000 }, now)).toThrow(/single address/);
    expect(daemon.app.guards.blocklist.find('192.0.2.1', now)).toBeNull();
  });
});
