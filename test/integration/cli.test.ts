/**
 * The real sipwarden binary's client commands (status, block, unblock, check, events, summary)
 * against a running daemon, also the real binary (`npm test` builds dist/ first).
 *
 * The daemon gets a temp config: admin API on a loopback port it picks (read from its
 * "admin HTTP listening" log line), drachtio pointing at a closed loopback port (it keeps
 * retrying and serves the admin API meanwhile), its database in the temp folder, and two
 * tokens: one admin, one read.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/admin/auth.js';
import { freeTcpPort } from '../support/ports.js';
import { DaemonProcess, MAIN } from '../support/daemon-process.js';

const ADMIN = 'cli-admin-token-0123456789abcdefghijklmnop';
const READ = 'cli-read-token-0123456789abcdefghijklmnopq';
const RUN_TIMEOUT_MS = 15_000;
// Each command is a fresh node process (about 1 s: main.js loads the whole daemon), several per test.

let dir: string;
let daemon: DaemonProcess | undefined;
let url: string;
let port: number;
let adminTokenFile: string;
let readTokenFile: string;


interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `node dist/src/main.js ...args` to completion (killed after RUN_TIMEOUT_MS), with only the SIPWARDEN_* variables given. */
function sipwarden(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Run> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SIPWARDEN_') && k !== 'FORCE_COLOR') base[k] = v;
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, NO_COLOR: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise<Run>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sipwarden ${args.join(' ')}: no exit within ${RUN_TIMEOUT_MS} ms; stderr: ${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** As the admin token, against the running daemon. */
const admin = (...args: string[]) => sipwarden([...args, '--url', url, '--token-file', adminTokenFile]);
/** As the read token. */
const reader = (...args: string[]) => sipwarden([...args, '--url', url, '--token-file', readTokenFile]);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-cli-'));
  adminTokenFile = path.join(dir, 'admin.token');
  readTokenFile = path.join(dir, 'read.token');
  writeFileSync(adminTokenFile, `${ADMIN}\n`, { mode: 0o600 });
  writeFileSync(readTokenFile, READ, { mode: 0o600 });
  const config = path.join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'log:',
      '  level: info',
      'drachtio:',
      '  host: 127.0.0.1',
      `  port: ${await freeTcpPort()}`,
      'trusted_networks:',
      '  - 10.9.0.0/16',
      'database:',
      `  path: ${JSON.stringify(path.join(dir, 'sipwarden.db'))}`,
      'admin:',
      '  host: 127.0.0.1',
      '  port: 0',
      'admin_api:',
      '  tokens:',
      `    - { name: ops, sha256: ${hashToken(ADMIN)}, role: admin }`,
      `    - { name: grafana, sha256: ${hashToken(READ)}, role: read }`,
      '',
    ].join('\n'),
  );
  const started = await DaemonProcess.start(config);
  daemon = started.daemon;
  url = started.url;
  port = Number(new URL(url).port);
}, 20_000);

afterAll(async () => {
  if (daemon !== undefined) {
    const { child } = daemon;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const stopped = await Promise.race([daemon.exited.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000))]);
    if (!stopped) {
      child.kill('SIGKILL');
      await daemon.exited;
    }
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 20_000);

describe('sipwarden status', { timeout: 30_000 }, () => {
  it('shows a running daemon that waits for drachtio', async () => {
    const result = await admin('status');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^version\s+\S+$/m);
    expect(result.stdout).toMatch(/^started\s+\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z \(up \d+s\)$/m);
    expect(result.stdout).toMatch(/^drachtio\s+NOT connected$/m);
    expect(result.stdout).toMatch(/^database\s+writable$/m);
    expect(result.stdout).toMatch(/^active blocks\s+\d+$/m);
  });

  it('--json prints the API answer', async () => {
    const result = await reader('status', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ drachtioConnected: false, databaseWritable: true, version: expect.any(String) });
  });

  it('finds the daemon through the config file (wildcard admin.host -> loopback), also with --config before the command', async () => {
    const clientConfig = path.join(dir, 'client.yml');
    writeFileSync(clientConfig, `admin:\n  host: 0.0.0.0\n  port: ${port}\n`);
    const after = await sipwarden(['status', '--config', clientConfig, '--token-file', adminTokenFile]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^database\s+writable$/m);
    const before = await sipwarden(['--config', clientConfig, 'status', '--token-file', adminTokenFile]);
    expect(before.code).toBe(0);
  });

  it('takes the URL and the token from SIPWARDEN_URL and SIPWARDEN_TOKEN', async () => {
    const result = await sipwarden(['status', '--json'], { SIPWARDEN_URL: url, SIPWARDEN_TOKEN: READ });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty('activeBlocks');
  });
});

describe('sipwarden block / check / unblock / events', { timeout: 30_000 }, () => {
  it('blocks for a time with a reason; check shows the block and its reason', async () => {
    const blocked = await admin('block', '198.51.100.23', '--for', '2h', '--reason', 'seen in honeypot');
    expect(blocked).toMatchObject({ code: 0, stderr: '' });
    expect(blocked.stdout).toMatch(/^blocked 198\.51\.100\.23 until \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z \(in (1h 59m|2h)\): seen in honeypot\n$/);

    const check = await reader('check', '198.51.100.23');
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^blocked\s+yes, manual: seen in honeypot$/m);
    expect(check.stdout).toMatch(/^until\s+\S+Z \(in (1h 59m|2h)\)$/m);
    expect(check.stdout).toMatch(/^trusted\s+no$/m);

    const json = await reader('check', '198.51.100.23', '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { block: { expiresAt: string; createdAt: string } };
    expect(parsed).toMatchObject({ ip: '198.51.100.23', blocked: true, block: { source: 'manual', reason: 'seen in honeypot' } });
    const length = Date.parse(parsed.block.expiresAt) - Date.parse(parsed.block.createdAt);
    expect(length).toBe(2 * 3_600_000);
  });

  it('events after a block show the block event', async () => {
    const events = await reader('events', '--since', '1h', '--type', 'block', '--ip', '198.51.100.23');
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/^time\s+type\s+severity\s+ip\s+username\s+method\s+details$/m);
    expect(events.stdout).toMatch(/^\S+Z\s+block\s+medium\s+198\.51\.100\.23\s+.*reason=seen in honeypot/m);

    const json = await reader('events', '--type', 'block', '--limit', '5', '--json');
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout) as { limit: number; items: Array<{ type: string; ip: string | null }> };
    expect(page.limit).toBe(5);
    expect(page.items.some((e) => e.type === 'block' && e.ip === '198.51.100.23')).toBe(true);
  });

  it('unblock lifts the block; check then says no', async () => {
    const result = await admin('unblock', '198.51.100.23');
    expect(result).toMatchObject({ code: 0, stdout: 'unblocked 198.51.100.23\n', stderr: '' });
    expect((await reader('check', '198.51.100.23')).stdout).toMatch(/^blocked\s+no$/m);
    const events = await reader('events', '--type', 'unblock', '--ip', '198.51.100.23');
    expect(events.stdout).toMatch(/unblock\s+info\s+198\.51\.100\.23/);
  });

  it('a permanent range block covers an address in it', async () => {
    const blocked = await admin('block', '203.0.113.0/24', '--permanent', '--json');
    expect(blocked.code).toBe(0);
    expect(JSON.parse(blocked.stdout)).toMatchObject({ target: '203.0.113.0/24', permanent: true, expiresAt: null });
    const check = await reader('check', '203.0.113.77');
    expect(check.stdout).toMatch(/^blocked\s+yes \(203\.0\.113\.0\/24\), manual: blocked by ops$/m);
    expect(check.stdout).toMatch(/^until\s+permanent$/m);
    expect((await admin('unblock', '203.0.113.0/24')).code).toBe(0);
  });

  it('refusals from the API come back with its message and exit 1', async () => {
    const trusted = await admin('block', '10.9.1.1');
    expect(trusted).toMatchObject({ code: 1, stdout: '' });
    expect(trusted.stderr).toBe('sipwarden: 10.9.1.1 is in a trusted network and would never be blocked; remove it from the allowlist first\n');

    const invalid = await admin('block', 'not-an-address');
    expect(invalid).toMatchObject({ code: 1, stdout: '' });
    expect(invalid.stderr).toBe('sipwarden: body.target: "not-an-address" is not an IPv4 or IPv6 address\n');

    const unknown = await admin('unblock', '192.0.2.77');
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: 'sipwarden: no active block for 192.0.2.77\n' });

    const badType = await reader('events', '--type', 'nonsense');
    expect(badType.code).toBe(1);
    expect(badType.stderr).toMatch(/^sipwarden: query\.type: unknown event type "nonsense"/);
  });

  it('bad usage is caught before asking the daemon (exit 2)', async () => {
    const both = await admin('block', '192.0.2.5', '--for', '1h', '--permanent');
    expect(both).toMatchObject({ code: 2, stderr: 'sipwarden: give either --for or --permanent, not both\n' });
    const badFor = await admin('block', '192.0.2.5', '--for', 'soon');
    expect(badFor.code).toBe(2);
    expect(badFor.stderr).toMatch(/^sipwarden: --for soon: not a duration/);
    const badLimit = await reader('events', '--limit', '0');
    expect(badLimit.code).toBe(2);
    const unknownOption = await reader('status', '--frobnicate');
    expect(unknownOption).toMatchObject({ code: 2, stderr: "sipwarden: unknown option '--frobnicate'\n" });
    const noUrl = await sipwarden(['status', '--url', 'nowhere', '--token-file', adminTokenFile]);
    expect(noUrl).toMatchObject({ code: 2, stderr: 'sipwarden: "nowhere" is not a URL (e.g. http://127.0.0.1:8080)\n' });
  });
});

describe('sipwarden summary', { timeout: 30_000 }, () => {
  it('counts what happened, as text and as JSON', async () => {
    expect((await admin('block', '192.0.2.44', '--reason', 'summary test')).code).toBe(0);
    const json = await reader('summary', '--hours', '2', '--json');
    expect(json.code).toBe(0);
    const summary = JSON.parse(json.stdout) as { hours: number; blockedIps: { active: number; newInPeriod: number } };
    expect(summary).toMatchObject({ hours: 2, blockedIps: { active: 1, activeBySource: { manual: 1 } } });
    expect(summary.blockedIps.newInPeriod).toBeGreaterThanOrEqual(3);

    const text = await reader('summary');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^period\s+\S+Z \.\. \S+Z \(24h\)$/m);
    expect(text.stdout).toMatch(/^active blocks\s+1 \(manual 1\)$/m);
    expect(text.stdout).toMatch(/^block\s+\d+$/m);
    expect((await admin('unblock', '192.0.2.44')).code).toBe(0);
  });
});

describe('tokens and reachability', { timeout: 30_000 }, () => {
  it('a read token cannot block (exit 4)', async () => {
    const result = await reader('block', '192.0.2.9');
    expect(result).toMatchObject({ code: 4, stdout: '' });
    expect(result.stderr).toBe('sipwarden: the daemon refused the token (403): the "read" role may not POST here\n');
  });

  it('an unknown token is refused (exit 4)', async () => {
    const wrong = path.join(dir, 'wrong.token');
    writeFileSync(wrong, 'not-the-right-token-0123456789abcdef');
    const result = await sipwarden(['status', '--url', url, '--token-file', wrong]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^sipwarden: the daemon refused the token \(401\): invalid token/);
  });

  it('no daemon listening: exit 3 with "cannot reach"', async () => {
    const down = `http://127.0.0.1:${await freeTcpPort()}`;
    const result = await sipwarden(['status', '--url', down, '--token-file', adminTokenFile]);
    expect(result).toMatchObject({ code: 3, stdout: '' });
    expect(result.stderr).toBe(`sipwarden: cannot reach sipwarden at ${down} (is it running? check admin.host/admin.port): ECONNREFUSED\n`);
  });

  it('no token: a clear message and exit 2', async () => {
    const missing = await sipwarden(['status', '--url', url, '--token-file', path.join(dir, 'missing.token')]);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toBe(`sipwarden: --token-file ${path.join(dir, 'missing.token')}: cannot read it (ENOENT)\n`);

    const emptyFile = path.join(dir, 'empty.token');
    writeFileSync(emptyFile, '\n');
    const empty = await sipwarden(['status', '--url', url, '--token-file', emptyFile]);
    expect(empty).toMatchObject({ code: 2, stderr: `sipwarden: ${emptyFile} is empty: it should hold the admin API bearer token\n` });

    const hash = await sipwarden(['status', '--url', url], { SIPWARDEN_TOKEN: `${hashToken(ADMIN)} ${ADMIN}` });
    expect(hash.code).toBe(2);
    expect(hash.stderr).toMatch(/^sipwarden: SIPWARDEN_TOKEN does not hold a bearer token/);
  });
});
