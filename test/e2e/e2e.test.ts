/**
 * End to end against a REAL drachtio-server (found through DRACHTIO_BIN or PATH; skipped loudly
 * otherwise): sipwarden runs as its built binary, a sipp registrar that really checks digest
 * credentials plays the PBX, sipp registers phones with right and wrong passwords, and
 * sipvicious (svmap, svwar, svcrack) attacks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/admin/auth.js';
import { DaemonProcess } from '../support/daemon-process.js';
import { findDrachtio, startDrachtio, type DrachtioServer } from './drachtio-server.js';
import { RedisServer } from '../support/redis-server.js';
import { freeTcpPort, freeUdpPort, optionsFrom, run } from './tools.js';

const BINARY = findDrachtio();
if (BINARY === null) {
  console.warn('\n*** e2e SKIPPED: no drachtio-server binary found (set DRACHTIO_BIN=/path/to/drachtio or put drachtio on PATH) ***\n');
}

const SCENARIOS = new URL('./scenarios/', import.meta.url).pathname;
const TOKEN = 'e2e-admin-token-0123456789abcdefghijklmnopq';
const PASSWORD = 'e2e-right-password';
const TRUSTED = '127.0.0.20';
const OFFICE = '127.0.0.30';
/** The registrar (the PBX, trusted by sipwarden) lives here, so that 127.0.0.1 is an ordinary source. */
const PBX_IP = '127.0.0.2';
/** svwar and svcrack ignore --bindingip (sipvicious 0.3.x): their packets always come from 127.0.0.1. */
const UNBOUND = '127.0.0.1';

let dir: string;
let sipPort: number;
let adminPort: number;
let drachtio: DrachtioServer;
let daemon: DaemonProcess;
let url: string;
let registrar: ChildProcess | undefined;
let redis: RedisServer | undefined;

async function unblock(ip: string): Promise<void> {
  const response = await fetch(`${url}/api/v1/security/blocks/${ip}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
}

async function check(ip: string): Promise<{ blocked: boolean; block?: { source: string; reason: string } }> {
  const response = await fetch(`${url}/api/v1/security/check/${ip}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await response.json()) as { blocked: boolean; block?: { source: string; reason: string } };
}

/** One sipp REGISTER call from `ip` (bound to it), with the given scenario and password. */
async function sippRegister(ip: string, scenario: string, password: string) {
  const localPort = await freeUdpPort();
  return run('sipp', [
    `127.0.0.1:${sipPort}`, '-sf', path.join(SCENARIOS, scenario), '-s', '1001', '-au', '1001', '-ap', password,
    '-i', ip, '-bind_local', '-p', String(localPort), '-m', '1', '-nostdin', '-timeout', '8s', '-timeout_error', '-recv_timeout', '4000',
  ], 15_000);
}

describe.skipIf(BINARY === null)('e2e with a real drachtio-server', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-e2e-'));
    adminPort = await freeTcpPort();
    sipPort = await freeUdpPort();
    const registrarPort = await freeUdpPort();

    // The PBX: a sipp registrar checking digest credentials, up to 1000 registrations.
    registrar = spawn('sipp', ['-sf', path.join(SCENARIOS, 'registrar.xml'), '-i', PBX_IP, '-bind_local', '-p', String(registrarPort), '-nostdin', '-m', '1000'], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (registrar.exitCode !== null) throw new Error(`the sipp registrar exited at once (${registrar.exitCode})`);

    // Redis: sipwarden keeps drachtio-server's blacklist set equal to its blocked addresses.
    redis = await RedisServer.start();
    drachtio = await startDrachtio(BINARY ?? '', { dir, adminPort, sipPort, secret: 'e2e-secret', blacklist: { port: redis.port, key: 'sipwarden:blacklist' } });
    const config = path.join(dir, 'config.yml');
    writeFileSync(
      config,
      `log:\n  level: info\ndrachtio:\n  port: ${adminPort}\n  secret: e2e-secret\n  reconnect_max_delay: 500ms\npbx:\n  host: ${PBX_IP}\n  port: ${registrarPort}\n  final_timeout: 5s\ntrusted_networks:\n  - ${TRUSTED}\ndatabase:\n  path: ${path.join(dir, 'sipwarden.db')}\nadmin:\n  port: 0\nadmin_api:\n  tokens:\n    - { name: e2e, sha256: ${hashToken(TOKEN)}, role: admin }\nredis:\n  url: ${redis.url}\n  sync_interval: 1s\n`,
    );
    ({ daemon, url } = await DaemonProcess.start(config));
    const deadline = Date.now() + 10_000;
    while ((await fetch(`${url}/healthz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error(`sipwarden never connected to drachtio-server: ${drachtio.output.join('').slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await drachtio?.stop();
    registrar?.kill('SIGKILL');
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers phones with the right password from a trusted and an untrusted address', async () => {
    for (const ip of [TRUSTED, OFFICE]) {
      const result = await sippRegister(ip, 'register.xml', PASSWORD);
      expect(result.code, result.output.slice(-1500)).toBe(0);
    }
  });

  it('svmap is rejected and its source blocked as a scanner', async () => {
    await run('svmap', ['-b', '127.0.0.40', '-p', String(sipPort), '127.0.0.1'], 15_000);
    expect(await check('127.0.0.40')).toMatchObject({ blocked: true, block: { source: 'scanner' } });
  });

  it('keeps drachtio-server blacklist set equal to the blocks; a restarted drachtio-server drops blocked sources itself, and sipwarden reconnects', async () => {
    // 127.0.0.40 was blocked by the svmap test (sipwarden answered it 403).
    const client = new Redis(redis?.url ?? '');
    try {
      expect(await client.smembers('sipwarden:blacklist')).toContain('127.0.0.40');
    } finally {
      client.disconnect();
    }
    // drachtio-server v0.9.10 reads the set once, when it starts (its refresh loop ends after the first read).
    await drachtio.stop();
    drachtio = await startDrachtio(BINARY ?? '', { dir, adminPort, sipPort, secret: 'e2e-secret', blacklist: { port: redis?.port ?? 0, key: 'sipwarden:blacklist' } });
    const deadline = Date.now() + 10_000;
    while ((await fetch(`${url}/healthz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('sipwarden did not reconnect to the restarted drachtio-server');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await optionsFrom('127.0.0.40', sipPort)).toBeNull();
    // Anyone else still reaches sipwarden (a scanner from another address is answered 403, by sipwarden).
    expect(await optionsFrom('127.0.0.32', sipPort, 3000, 'friendly-scanner')).toBe(403);
  }, 30_000);

  it('svwar (extension enumeration) is rejected and blocked', async () => {
    await run('svwar', ['-p', String(sipPort), '-m', 'INVITE', '-e', '100-130', '127.0.0.1'], 15_000);
    expect(await check(UNBOUND)).toMatchObject({ blocked: true, block: { source: 'scanner' } });
    await unblock(UNBOUND);
  });

  it('svcrack (password cracking) is rejected and blocked', async () => {
    // Against a blocked source svcrack waits out every guess: bound its run.
    await run('svcrack', ['-p', String(sipPort), '-u', '1001', '-r', '1000-1050', '127.0.0.1'], 15_000);
    expect(await check(UNBOUND)).toMatchObject({ blocked: true, block: { source: 'scanner' } });
    await unblock(UNBOUND);
  }, 40_000);

  it('a brute force with an ordinary User-Agent is blocked at the tenth wrong password', async () => {
    for (let i = 1; i <= 10; i++) {
      const attempt = await sippRegister('127.0.0.50', 'register-wrong-password.xml', `guess-${i}`);
      expect(attempt.code, `attempt ${i}: ${attempt.output.slice(-800)}`).toBe(0);
    }
    expect(await check('127.0.0.50')).toMatchObject({ blocked: true, block: { source: 'auth-failures' } });
    // The eleventh gets sipwarden's 403 at once instead of the registrar's challenge.
    const refused = await sippRegister('127.0.0.50', 'register-wrong-password.xml', 'guess-11');
    expect(refused.code).not.toBe(0);
  });

  it('legitimate phones still register from trusted and untrusted addresses after the attacks', async () => {
    for (const ip of [TRUSTED, OFFICE]) {
      const result = await sippRegister(ip, 'register.xml', PASSWORD);
      expect(result.code, result.output.slice(-1500)).toBe(0);
      expect(await check(ip)).toMatchObject({ blocked: false });
    }
  });
});
