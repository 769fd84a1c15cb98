/**
 * MFA over real HTTP against the daemon: extension enrollment with QR and backup codes,
 * verification with replay protection and lockout, roles, failures counted against the end
 * user's address; admin users logging in with password and TOTP (the real `sipwarden admin add`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/admin/auth.js';
import { apiCall } from '../support/admin-api.js';
import { generateTotp } from '../../src/mfa/index.js';
import { ManualClock, startDaemon, type RunningDaemon } from '../support/daemon.js';
import { DaemonProcess, runMain } from '../support/daemon-process.js';

const ADMIN = 'mfa-admin-token-0123456789abcdefghijklmnop';
const PORTAL = 'mfa-portal-token-0123456789abcdefghijklmno';
const READ = 'mfa-read-token-0123456789abcdefghijklmnopqr';

function yaml(keyFile: string): string {
  return `admin_api:
  tokens:
    - { name: ops, sha256: ${hashToken(ADMIN)}, role: admin }
    - { name: portal, sha256: ${hashToken(PORTAL)}, role: mfa }
    - { name: grafana, sha256: ${hashToken(READ)}, role: read }
auth_failures:
  max_failures: 3
mfa:
  enabled: true
  key_file: ${keyFile}
  issuer: ACME PBX
`;
}

let dir: string;
let daemon: RunningDaemon;
let clock: ManualClock;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-mfa-'));
  writeFileSync(path.join(dir, 'mfa.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
  clock = new ManualClock(Date.parse('2026-06-01T09:00:00Z'));
  daemon = await startDaemon({ drachtioPort: 1, pbxPort: 5060, clock, yaml: yaml(path.join(dir, 'mfa.key')), dir });
});

afterEach(async () => {
  await daemon.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const api = (token: string, method: string, p: string, body?: unknown) => apiCall(daemon.adminUrl, token, method, p, body);

const code = (secret: string, at = clock.now()) => generateTotp({ secret, now: at });

async function enrolled(extension: string): Promise<{ secret: string; backupCodes: string[] }> {
  const enrollment = await api(PORTAL, 'POST', `/mfa/extensions/${extension}/enroll`);
  expect(enrollment.status).toBe(201);
  const secret = String(enrollment.json['secret']);
  expect((await api(PORTAL, 'POST', `/mfa/extensions/${extension}/verify-enrollment`, { code: code(secret) })).json).toEqual({ ok: true });
  clock.advance(30_000);
  return { secret, backupCodes: enrollment.json['backupCodes'] as string[] };
}

describe('extension MFA', () => {
  it('enrolls with an otpauth URI, a QR code and backup codes, and is active only after verification', async () => {
    const enrollment = await api(PORTAL, 'POST', '/mfa/extensions/1001/enroll');
    expect(enrollment.status).toBe(201);
    expect(enrollment.json['otpauthUri']).toMatch(/^otpauth:\/\/totp\/ACME%20PBX:1001\?secret=[A-Z2-7]{32,}&.*issuer=ACME%20PBX/);
    expect((enrollment.json['qr'] as { pngDataUrl: string }).pngDataUrl).toMatch(/^data:image\/png;base64,/);
    expect((enrollment.json['qr'] as { svg: string }).svg).toMatch(/^<svg/);
    const backupCodes = enrollment.json['backupCodes'] as string[];
    expect(backupCodes).toHaveLength(10);
    expect(backupCodes.every((c) => /^[A-Z2-9]{5}-[A-Z2-9]{5}$/.test(c))).toBe(true);
    expect((await api(PORTAL, 'GET', '/mfa/extensions/1001')).json).toMatchObject({ pending: true, active: false });
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1001/verify-enrollment', { code: '000000' })).json).toMatchObject({ ok: false, reason: 'invalid' });
    const secret = String(enrollment.json['secret']);
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1001/verify-enrollment', { code: code(secret) })).json).toEqual({ ok: true });
    expect((await api(PORTAL, 'GET', '/mfa/extensions/1001')).json).toMatchObject({ active: true, methods: ['totp', 'backup-code'], backupCodesRemaining: 10 });
    // The secret is never shown again, and is not in the database in clear.
    expect(JSON.stringify((await api(ADMIN, 'GET', '/mfa/extensions/1001')).json)).not.toContain(secret);
    expect(daemon.app.db.prepare('SELECT data FROM mfa_enrollment').all().map((r) => JSON.stringify(r)).join()).not.toContain(secret);
  });

  it('accepts a code once (replay refused), the neighbouring step, and each backup code once', async () => {
    const { secret, backupCodes } = await enrolled('1002');
    const now = code(secret);
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1002/verify', { code: now })).json).toMatchObject({ ok: true, method: 'totp' });
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1002/verify', { code: now })).json).toMatchObject({ ok: false, reason: 'replay' });
    clock.advance(60_000);
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1002/verify', { code: code(secret, clock.now() + 30_000) })).json).toMatchObject({ ok: true });
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1002/verify', { code: code(secret, clock.now() + 90_000) })).json).toMatchObject({ ok: false, reason: 'invalid' });
    const backup = backupCodes[0] ?? '';
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1002/verify', { code: backup })).json).toMatchObject({ ok: true, method: 'backup-code', remainingBackupCodes: 9 });
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1002/verify', { code: backup })).json).toMatchObject({ ok: false });
  });

  it('locks after five failures for fifteen minutes, and counts them against the end user address', async () => {
    const { secret } = await enrolled('1003');
    for (let i = 0; i < 5; i++) await api(PORTAL, 'POST', '/mfa/extensions/1003/verify', { code: '000000', clientIp: '198.51.100.77' });
    const locked = await api(PORTAL, 'POST', '/mfa/extensions/1003/verify', { code: code(secret) });
    expect(locked.json).toMatchObject({ ok: false, reason: 'locked' });
    expect((await api(PORTAL, 'GET', '/mfa/extensions/1003')).json).toMatchObject({ locked: true });
    // auth_failures.max_failures is 3 here: the user's address is blocked for SIP too.
    expect(daemon.app.guards.blocklist.find('198.51.100.77', clock.now())).toMatchObject({ source: 'auth-failures' });
    clock.advance(15 * 60_000 + 30_000);
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1003/verify', { code: code(secret) })).json).toMatchObject({ ok: true });
    const metrics = await daemon.app.metrics.registry.getSingleMetricAsString('sipwarden_mfa_verifications_total');
    expect(metrics).toMatch(/kind="extension",result="invalid"} 5/);
  });

  it('roles: read tokens cannot enroll; the portal needs a code to disable, an admin does not', async () => {
    expect((await api(READ, 'POST', '/mfa/extensions/1004/enroll')).status).toBe(403);
    expect((await api(PORTAL, 'GET', '/security/blocks')).status).toBe(403);
    const { secret } = await enrolled('1004');
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1004/disable', {})).status).toBe(403);
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1004/disable', { code: '123456' })).status).toBe(403);
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1004/disable', { code: code(secret) })).json).toEqual({ extension: '1004', disabled: true });
    await enrolled('1005');
    expect((await api(ADMIN, 'POST', '/mfa/extensions/1005/disable', {})).json).toEqual({ extension: '1005', disabled: true });
    expect((await api(ADMIN, 'POST', '/mfa/extensions/1005/enroll')).status).toBe(201);
    expect((await api(ADMIN, 'POST', '/mfa/extensions/bad%20name/enroll')).status).toBe(400);
  });

  it('regenerates backup codes: the old ones stop working', async () => {
    const { backupCodes } = await enrolled('1006');
    const fresh = await api(ADMIN, 'POST', '/mfa/extensions/1006/backup-codes', {});
    expect(fresh.json['backupCodes']).toHaveLength(10);
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1006/verify', { code: backupCodes[0] })).json).toMatchObject({ ok: false });
    expect((await api(PORTAL, 'POST', '/mfa/extensions/1006/verify', { code: (fresh.json['backupCodes'] as string[])[0] })).json).toMatchObject({ ok: true });
  });
});

describe('admin users and the key, with the real binary', () => {
  it('admin add, login with password and TOTP, session token; wrong key refused at start; key rotation keeps codes working', async () => {
    await daemon.stop();
    const config = path.join(dir, 'config.yml');
    const configText = (keyFile: string) =>
      `drachtio:\n  port: 1\ndatabase:\n  path: ${path.join(dir, 'proc.db')}\nadmin:\n  port: 0\n${yaml(keyFile)}`;
    writeFileSync(config, configText(path.join(dir, 'mfa.key')));

    const added = await runMain(['admin', 'add', 'alice', '--config', config], 'correct horse battery staple\n');
    expect(added.code, added.stderr).toBe(0);
    const secret = /^secret:\s+([A-Z2-7]+)$/m.exec(added.stdout)?.[1] ?? '';
    expect(secret).not.toBe('');
    expect(added.stdout).toContain('otpauth://totp/');

    let { daemon: proc, url } = await DaemonProcess.start(config);
    const login = (body: unknown) => fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await login({ name: 'alice', password: 'wrong password!!', code: generateTotp({ secret, now: Date.now() }) })).status).toBe(401);
    expect((await login({ name: 'alice', password: 'correct horse battery staple', code: '000000' })).status).toBe(401);
    const ok = await login({ name: 'alice', password: 'correct horse battery staple', code: generateTotp({ secret, now: Date.now() }) });
    expect(ok.status).toBe(200);
    const session = (await ok.json()) as { token: string; expiresAt: string };
    expect((await fetch(`${url}/api/v1/status`, { headers: { authorization: `Bearer ${session.token}` } })).status).toBe(200);
    await proc.stop();

    // No key at all: the start is refused, saying how to make one.
    writeFileSync(config, configText(path.join(dir, 'missing.key')));
    const noKey = await runMain(['--config', config]);
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toMatch(/mfa: .*missing\.key.*openssl rand -hex 32/);

    // A different key: the start is refused with a message that says what to do.
    writeFileSync(path.join(dir, 'other.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
    writeFileSync(config, configText(path.join(dir, 'other.key')));
    const refused = await runMain(['--config', config]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/stored MFA secret\(s\) were sealed with key .* but the configured key is .*sipwarden mfa rotate-key/);

    // Rotate from the right key to the other one; then the other key works.
    writeFileSync(config, configText(path.join(dir, 'mfa.key')));
    const rotated = await runMain(['mfa', 'rotate-key', '--config', config, '--new-key-file', path.join(dir, 'other.key')]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/^re-encrypted 1 MFA secret\(s\)/);
    writeFileSync(config, configText(path.join(dir, 'other.key')));
    ({ daemon: proc, url } = await DaemonProcess.start(config));
    const again = await login({ name: 'alice', password: 'correct horse battery staple', code: generateTotp({ secret, now: Date.now() + 30_000 }) });
    expect(again.status).toBe(200);
    await proc.stop();
  }, 60_000);
});
