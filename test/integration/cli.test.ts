/** The real sipwarden binary's client commands against a running daemon (also the real binary). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/admin/auth.js';
import { DaemonProcess, runMain } from '../support/daemon-process.js';

const ADMIN = 'cli-admin-token-0123456789abcdefghijklmnop';
const READ = 'cli-read-token-0123456789abcdefghijklmnopq';
let dir: string;
let daemon: DaemonProcess;
let url: string;
let adminTokenFile: string;
let readTokenFile: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-cli-'));
  adminTokenFile = path.join(dir, 'admin.token');
  readTokenFile = path.join(dir, 'read.token');
  writeFileSync(adminTokenFile, `${ADMIN}\n`);
  writeFileSync(readTokenFile, READ);
  const config = path.join(dir, 'config.yml');
  writeFileSync(
    config,
    `drachtio:\n  port: 1\ntrusted_networks:\n  - 10.9.0.0/16\ndatabase:\n  path: ${path.join(dir, 'db.sqlite')}\nadmin:\n  port: 0\nadmin_api:\n  tokens:\n    - { name: ops, sha256: ${hashToken(ADMIN)}, role: admin }\n    - { name: grafana, sha256: ${hashToken(READ)}, role: read }\n`,
  );
  ({ daemon, url } = await DaemonProcess.start(config));
}, 20_000);

afterAll(async () => {
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runMain([...args, '--url', url, '--token-file', adminTokenFile]);

describe('sipwarden client commands', () => {
  it('status shows a running daemon waiting for drachtio', async () => {
    const result = await cli('status');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^drachtio\s+NOT connected$/m);
    expect(result.stdout).toMatch(/^database\s+writable$/m);
  });

  it('block, check, events and unblock', async () => {
    const blocked = await cli('block', '198.51.100.23', '--for', '2h', '--reason', 'seen in honeypot');
    expect(blocked.code).toBe(0);
    expect(blocked.stdout).toMatch(/^blocked 198\.51\.100\.23 until .* \(in (1h 59m|2h)\): seen in honeypot$/m);

    const check = await cli('check', '198.51.100.23');
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^blocked\s+yes, manual: seen in honeypot$/m);

    const json = await cli('check', '198.51.100.23', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ip: '198.51.100.23', blocked: true, block: { reason: 'seen in honeypot' } });

    const events = await cli('events', '--since', '1h', '--type', 'block');
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/block\s+medium\s+198\.51\.100\.23/);

    expect((await cli('unblock', '198.51.100.23')).stdout).toBe('unblocked 198.51.100.23\n');
    expect((await cli('check', '198.51.100.23')).stdout).toMatch(/^blocked\s+no$/m);
  });

  it('summary counts what happened', async () => {
    await cli('block', '203.0.113.5');
    const summary = await cli('summary', '--json');
    expect(summary.code).toBe(0);
    expect(JSON.parse(summary.stdout)).toMatchObject({ hours: 24, blockedIps: { active: 1 } });
    expect((await cli('summary')).stdout).toMatch(/^active blocks\s+1 \(manual 1\)$/m);
  });

  it('refusals from the API come back with their message and exit 1', async () => {
    const trusted = await cli('block', '10.9.1.1');
    expect(trusted.code).toBe(1);
    expect(trusted.stderr).toMatch(/^sipwarden: 10\.9\.1\.1 is in a trusted network and would never be blocked/);
    const unknown = await cli('unblock', '192.0.2.77');
    expect(unknown).toMatchObject({ code: 1, stderr: 'sipwarden: no active block for 192.0.2.77 (404)\n' });
    const bad = await cli('block', 'not-an-address');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/target/);
  });

  it('a read token cannot block (exit 4)', async () => {
    const result = await runMain(['block', '192.0.2.9', '--url', url, '--token-file', readTokenFile]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/refused the request \(403\): the "read" role may not POST here/);
  });

  it('says when the daemon is unreachable (exit 3) or no token is available (exit 2)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = await runMain(['status', '--url', `http://127.0.0.1:${port}`, '--token-file', adminTokenFile]);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^sipwarden: cannot reach sipwarden at http:\/\/127\.0\.0\.1:\d+ \(is it running\?.*ECONNREFUSED/);
    const noToken = await runMain(['status', '--url', url, '--token-file', path.join(dir, 'missing.token')]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/no admin token: put one in .*missing\.token/);
  });
});
