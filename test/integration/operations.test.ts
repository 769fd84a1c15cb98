/**
 * The daemon as a process: check-config, SIGHUP reload, graceful SIGTERM, and durability of
 * acknowledged blocks across kill -9.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/admin/auth.js';
import { DaemonProcess, runMain } from '../support/daemon-process.js';
import { DrachtioWireServer } from '../support/drachtio-wire-server.js';
import { PbxStandIn } from '../support/pbx-standin.js';
import { invite, options } from '../support/sip-messages.js';

const ADMIN_TOKEN = 'ops-token-0123456789abcdefghijklmnopqrstuvwxyz';
const cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-ops-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function configText(dir: string, drachtioPort: number, pbxPort: number, extra = ''): string {
  return `log:
  level: info
drachtio:
  port: ${drachtioPort}
  reconnect_max_delay: 200ms
pbx:
  host: 127.0.0.1
  port: ${pbxPort}
  final_timeout: 3s
database:
  path: ${path.join(dir, 'sipwarden.db')}
admin:
  port: 0
admin_api:
  tokens:
    - name: ops
      sha256: ${hashToken(ADMIN_TOKEN)}
      role: admin
${extra}`;
}

async function startAll(extra = '') {
  const dir = tempDir();
  const wire = await DrachtioWireServer.start();
  const pbx = await PbxStandIn.start({ answer: (r) => (r.method === 'INVITE' ? { status: 200, delayMs: 600 } : { status: 200 }) });
  cleanup.push(() => wire.close(), () => pbx.close());
  const file = path.join(dir, 'config.yml');
  writeFileSync(file, configText(dir, wire.port, pbx.port, extra));
  const { daemon, url } = await DaemonProcess.start(file);
  cleanup.push(() => daemon.stop());
  await wire.waitForApp(['OPTIONS', 'INVITE'], 5000);
  return { dir, wire, pbx, file, daemon, url };
}

describe('check-config', () => {
  it('says a valid file is valid (exit 0) and names the problem in an invalid one (exit 2)', async () => {
    const dir = tempDir();
    const good = path.join(dir, 'good.yml');
    writeFileSync(good, 'flood:\n  max_requests: 20\n');
    expect(await runMain(['check-config', good])).toMatchObject({ code: 0, stdout: `${good}: configuration is valid\n` });
    const bad = path.join(dir, 'bad.yml');
    writeFileSync(bad, 'flood:\n  max_requests: 20\n  windw: 2s\n');
    const result = await runMain(['check-config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`sipwarden: ${bad}: line 3: flood.windw: unknown key (check the spelling against config.example.yml)\n`);
  });

  it('refuses to start on a broken config, with the same message', async () => {
    const dir = tempDir();
    const bad = path.join(dir, 'bad.yml');
    writeFileSync(bad, 'trusted_networks:\n  - 10.0.0.0/33\n');
    const result = await runMain(['--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/line 2: trusted_networks\[0\]: "10\.0\.0\.0\/33" is not an IP address or CIDR range/);
  });
});

describe('hash-token', () => {
  it('prints the config entry for a token read from stdin, never the token', async () => {
    const result = await runMain(['hash-token', '--name', 'grafana', '--role', 'read'], `${ADMIN_TOKEN}\n`);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`sha256: ${hashToken(ADMIN_TOKEN)}`);
    expect(result.stdout).toContain('role: read');
    expect(result.stdout).not.toContain(ADMIN_TOKEN);
  });
});

describe('SIGHUP', () => {
  it('applies new thresholds without losing counters or blocks, and refuses a broken config', async () => {
    const { wire, pbx, file, dir, daemon, url } = await startAll();
    // A manual block that must survive the reload.
    const blocked = await fetch(`${url}/api/v1/security/blocks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: '127.0.66.6', duration: 3_600_000 }),
    });
    expect(blocked.status).toBe(201);
    for (let i = 0; i < 3; i++) expect(await wire.inject(options(), { sourceAddress: '127.0.66.1' })).toMatchObject({ kind: 'proxied' });

    writeFileSync(file, configText(dir, wire.port, pbx.port, 'flood:\n  max_requests: 3\n  window: 10s\ntrusted_networks:\n  - 127.0.66.9\n'));
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog((l) => typeof l['msg'] === 'string' && String(l['msg']).startsWith('config reloaded'));
    // The three earlier requests still count: the fourth within the window is a flood.
    expect(await wire.inject(options(), { sourceAddress: '127.0.66.1' })).toMatchObject({ kind: 'response', status: 403 });
    expect(await wire.inject(options(), { sourceAddress: '127.0.66.6' })).toMatchObject({ kind: 'response', status: 403 });
    // The new trusted network is never blocked, even when it looks like a scanner.
    expect(await wire.inject(options({ ua: 'friendly-scanner' }), { sourceAddress: '127.0.66.9' })).toMatchObject({ kind: 'proxied' });

    writeFileSync(file, 'flood:\n  max_requests: lots\n');
    daemon.child.kill('SIGHUP');
    const refusal = await daemon.waitForLog((l) => l['msg'] === 'config reload refused; the running config stays');
    expect(String(refusal['problem'])).toMatch(/flood\.max_requests: expected number/);
    expect(await wire.inject(options(), { sourceAddress: '127.0.66.2' })).toMatchObject({ kind: 'proxied' });
  });
});

describe('SIGTERM', () => {
  it('lets an in-flight proxied call finish, then exits 0', async () => {
    const { wire, pbx, daemon } = await startAll();
    const call = wire.inject(invite({ toUser: '1002', fromUser: '1001' }), { sourceAddress: '127.0.67.1' });
    const deadline = Date.now() + 3000;
    while (pbx.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    daemon.child.kill('SIGTERM');
    expect(await call).toMatchObject({ kind: 'proxied', finalStatus: 200 });
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(daemon.logs.some((l) => l['msg'] === 'stopped')).toBe(true);
  });
});

describe('kill -9', () => {
  it('loses no block that the API acknowledged', async () => {
    const { dir, daemon, url } = await startAll();
    const acknowledged: string[] = [];
    const burst = async (worker: number): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        const target = `10.${worker}.${i >> 8}.${i & 255}`;
        try {
          const response = await fetch(`${url}/api/v1/security/blocks`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify({ target, reason: 'burst', permanent: true }),
          });
          if (response.status === 201) acknowledged.push(target);
        } catch {
          return; // the daemon is gone
        }
      }
    };
    const workers = [1, 2, 3, 4].map(burst);
    const deadline = Date.now() + 5000;
    while (acknowledged.length < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    daemon.child.kill('SIGKILL');
    await Promise.all(workers);
    expect(await daemon.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(acknowledged.length).toBeGreaterThanOrEqual(150);

    const db = new BetterSqlite3(path.join(dir, 'sipwarden.db'));
    const stored = new Set(db.prepare<[], { target: string }>('SELECT target FROM blocks WHERE lifted_at IS NULL').all().map((r) => r.target));
    db.close();
    const lost = acknowledged.filter((t) => !stored.has(t));
    expect(lost).toEqual([]);
  });
});
