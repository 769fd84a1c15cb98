/**
 * Blocks shared through a real Redis server: two sipwarden nodes see each other's blocks and
 * lifts, drachtio-server's blacklist set holds exactly the blocked single addresses, expired
 * blocks leave it, and a node without Redis keeps working.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/admin/auth.js';
import { apiCall } from '../support/admin-api.js';
import { ManualClock, startDaemon, waitFor, type RunningDaemon } from '../support/daemon.js';
import { RedisServer } from '../support/redis-server.js';

const TOKEN = 'redis-admin-token-0123456789abcdefghijklmn';
let redis: RedisServer;
let client: Redis;
let a: RunningDaemon;
let b: RunningDaemon;
const clock = new ManualClock();

const yaml = (url: string, node: string) =>
  `admin_api:\n  tokens:\n    - { name: ops, sha256: ${hashToken(TOKEN)}, role: admin }\nredis:\n  url: ${url}\n  node: ${node}\n  sync_interval: 1h\n`;

const api = async (daemon: RunningDaemon, method: string, path: string, body?: unknown): Promise<number> => (await apiCall(daemon.adminUrl, TOKEN, method, path, body)).status;

const blacklist = async () => (await client.smembers('sipwarden:blacklist')).sort();

/** Retry an assertion until it holds (Redis writes are asynchronous), at most two seconds. */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

beforeAll(async () => {
  redis = await RedisServer.start();
  client = new Redis(redis.url);
  a = await startDaemon({ drachtioPort: 1, pbxPort: 5060, clock, yaml: yaml(redis.url, 'edge-a') });
  b = await startDaemon({ drachtioPort: 1, pbxPort: 5060, clock, yaml: yaml(redis.url, 'edge-b') });
  await waitFor(() => a.app.sharing?.connected === true && b.app.sharing?.connected === true, 'both nodes on Redis');
});

afterAll(async () => {
  await a.dispose();
  await b.dispose();
  client.disconnect();
  await redis.stop();
});

describe('blocks shared through Redis', () => {
  it('a block made on one node reaches the other and drachtio-server set; a lift reaches both', async () => {
    expect(await api(a, 'POST', '/security/blocks', { target: '198.51.100.9', reason: 'honeypot', duration: '2h' })).toBe(201);
    expect(await api(a, 'POST', '/security/blocks', { target: '203.0.113.0/24', reason: 'bad range', permanent: true })).toBe(201);
    await eventually(async () => expect(await blacklist()).toEqual(['198.51.100.9']));
    await eventually(async () => expect(Object.keys(await client.hgetall('sipwarden:blocks')).sort()).toEqual(['198.51.100.9', '203.0.113.0/24']));

    await b.app.syncShared();
    expect(b.app.guards.blocklist.find('198.51.100.9', clock.now())).toMatchObject({ source: 'manual', reason: 'honeypot', expiresAt: clock.now() + 7_200_000 });
    expect(b.app.guards.blocklist.find('203.0.113.77', clock.now())).toMatchObject({ target: '203.0.113.0/24' });

    expect(await api(a, 'DELETE', '/security/blocks/198.51.100.9')).toBe(200);
    await eventually(async () => expect(await blacklist()).toEqual([]));
    await b.app.syncShared();
    expect(b.app.guards.blocklist.find('198.51.100.9', clock.now())).toBeNull();
    // A sync on the node that lifted it does not bring it back.
    await a.app.syncShared();
    expect(await blacklist()).toEqual([]);
  });

  it('expired blocks leave the shared hash and the set at the next sync', async () => {
    expect(await api(b, 'POST', '/security/blocks', { target: '192.0.2.44', duration: '10m' })).toBe(201);
    await eventually(async () => expect(await blacklist()).toContain('192.0.2.44'));
    clock.advance(10 * 60_000);
    await b.app.syncShared();
    expect(await blacklist()).not.toContain('192.0.2.44');
    expect(await client.hexists('sipwarden:blocks', '192.0.2.44')).toBe(0);
  });

  it('a node whose Redis is down keeps blocking on its own', async () => {
    const lonely = await startDaemon({ drachtioPort: 1, pbxPort: 5060, clock, yaml: yaml('redis://127.0.0.1:1', 'edge-c') });
    try {
      expect(await api(lonely, 'POST', '/security/blocks', { target: '192.0.2.55' })).toBe(201);
      expect(lonely.app.guards.blocklist.find('192.0.2.55', clock.now())).not.toBeNull();
      await lonely.app.syncShared();
      expect((await fetch(`${lonely.adminUrl}/healthz`)).status).toBe(503); // no drachtio here; the daemon answers
    } finally {
      await lonely.dispose();
    }
  });
});
