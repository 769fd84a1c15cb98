/**
 * sipwarden end to end inside one process: real drachtio-srf connected to the drachtio
 * wire-protocol test server, the real App (guards, SQLite, admin HTTP), and a PBX stand-in
 * over UDP that really checks digest credentials.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DrachtioWireServer } from '../support/drachtio-wire-server.js';
import { ManualClock, startDaemon, waitFor, type RunningDaemon } from '../support/daemon.js';
import { PbxStandIn } from '../support/pbx-standin.js';
import { challengeFrom, digestAuthorization, invite, options, register } from '../support/sip-messages.js';

const USERS = { '1001': 'right-horse-battery', '1002': 'staple-correct' };
const REALM = 'pbx.test';

let wire: DrachtioWireServer;
let pbx: PbxStandIn;
let daemon: RunningDaemon;
let clock: ManualClock;

async function boot(yaml = ''): Promise<void> {
  daemon = await startDaemon({ drachtioPort: wire.port, pbxPort: pbx.port, clock, yaml });
  await wire.waitForApp(['REGISTER', 'INVITE', 'OPTIONS']);
}

beforeEach(async () => {
  clock = new ManualClock();
  wire = await DrachtioWireServer.start();
  pbx = await PbxStandIn.start({ users: USERS, realm: REALM });
});

afterEach(async () => {
  await daemon?.dispose();
  await wire.close();
  await pbx.close();
});

/** Wait until the daemon has learned from every final answer it proxied. */
async function settled(): Promise<void> {
  await waitFor(() => daemon.app.sip.pending === 0, 'proxied transactions to complete');
}

/** A REGISTER with digest credentials for `user`, answering the PBX's challenge (a phone's pace: 250 ms apart). */
async function registerWith(source: string, user: string, password: string): Promise<number> {
  clock.advance(250);
  const first = await wire.inject(register({ user, domain: REALM }), { sourceAddress: source });
  if (first.kind !== 'proxied') throw new Error(`expected the REGISTER to be proxied, got ${first.kind}`);
  const { nonce, realm } = challengeFrom(first.finalResponse);
  const authorization = digestAuthorization({ username: user, password, realm, nonce, uri: `sip:${REALM}`, method: 'REGISTER' });
  clock.advance(250);
  const second = await wire.inject(register({ user, domain: REALM, authorization }), { sourceAddress: source });
  await settled();
  if (second.kind === 'proxied') return second.finalStatus;
  if (second.kind === 'response') return second.status;
  return 0;
}

function activeBlock(ip: string) {
  return daemon.app.guards.blocklist.find(ip, clock.now());
}

describe('proxying to the PBX', () => {
  it('a REGISTER reaches the PBX, and its challenge and then its 200 come back', async () => {
    await boot();
    expect(await registerWith('127.0.0.2', '1001', USERS['1001'])).toBe(200);
    expect(pbx.requests.filter((r) => r.method === 'REGISTER')).toHaveLength(2);
  });

  it('an INVITE and an OPTIONS are proxied', async () => {
    await boot();
    const call = await wire.inject(invite({ toUser: '1002', fromUser: '1001', domain: REALM }), { sourceAddress: '127.0.0.2' });
    expect(call.kind).toBe('proxied');
    const ping = await wire.inject(options({ user: '1001', domain: REALM }), { sourceAddress: '127.0.0.2' });
    expect(ping).toMatchObject({ kind: 'proxied', finalStatus: 200 });
    expect(wire.proxied.map((p) => p.destination)).toEqual([expect.stringContaining(`:${pbx.port}`), expect.stringContaining(`:${pbx.port}`)]);
  });

  it('the PBX receives exactly the user that was dialled, whatever the method, when the Request-URI names drachtio-server itself', async () => {
    await boot();
    await wire.waitForApp(['MESSAGE', 'SUBSCRIBE']);
    const self = '127.0.0.1:5060';
    for (const method of ['INVITE', 'MESSAGE', 'SUBSCRIBE']) {
      const sent = await wire.inject(invite({ toUser: '1002', fromUser: '1001', domain: REALM, method, requestUri: `sip:1002@${self}` }), { sourceAddress: '127.0.0.2' });
      expect(sent.kind).toBe('proxied');
    }
    await wire.inject(options({ user: '*97', domain: REALM, requestUri: `sip:%2A97@${self};user=phone` }), { sourceAddress: '127.0.0.2' });
    await wire.inject(register({ user: '1001', domain: REALM, requestUri: `sip:${self}` }), { sourceAddress: '127.0.0.2' });
    await settled();
    expect(pbx.requests.map((r) => [r.method, r.requestUri])).toEqual([
      ['INVITE', `sip:1002@127.0.0.1:${pbx.port}`],
      ['MESSAGE', `sip:1002@127.0.0.1:${pbx.port}`],
      ['SUBSCRIBE', `sip:1002@127.0.0.1:${pbx.port}`],
      ['OPTIONS', `sip:%2A97@127.0.0.1:${pbx.port}`],
      // A REGISTER names no user in its Request-URI: none is invented.
      ['REGISTER', `sip:127.0.0.1:${pbx.port}`],
    ]);
  });

  it('in-dialog requests from the PBX follow their Request-URI; from anyone else they go to the PBX (never an open relay)', async () => {
    await boot();
    const phone = await PbxStandIn.start({ answer: () => ({ status: 200 }) });
    try {
      const fromPbx = await wire.inject(
        invite({ toUser: '1001', fromUser: '1002', domain: REALM, method: 'BYE', toTag: 't1', requestUri: `sip:1001@127.0.0.1:${phone.port}` }),
        { sourceAddress: '127.0.0.1' },
      );
      expect(fromPbx).toMatchObject({ kind: 'proxied', finalStatus: 200 });
      expect(phone.requests.map((r) => r.method)).toEqual(['BYE']);

      const relay = await wire.inject(
        invite({ toUser: '1001', fromUser: '1002', domain: REALM, method: 'BYE', toTag: 't2', requestUri: `sip:victim@127.0.0.1:${phone.port}` }),
        { sourceAddress: '127.0.0.2' },
      );
      expect(relay).toMatchObject({ kind: 'proxied' });
      expect(phone.requests).toHaveLength(1);
      expect(pbx.requests.map((r) => r.method)).toEqual(['BYE']);
    } finally {
      await phone.close();
    }
  });
});

describe('authentication failures', () => {
  it('blocks a source at the tenth wrong password; the eleventh request never reaches the PBX', async () => {
    await boot();
    for (let i = 1; i <= 9; i++) {
      expect(await registerWith('127.0.0.3', '1001', 'wrong')).toBe(403);
      expect(activeBlock('127.0.0.3')).toBeNull();
    }
    expect(await registerWith('127.0.0.3', '1001', 'wrong')).toBe(403);
    const block = activeBlock('127.0.0.3');
    expect(block).toMatchObject({ source: 'auth-failures', expiresAt: clock.now() + 3_600_000 });

    const before = pbx.requests.length;
    const refused = await wire.inject(register({ user: '1001', domain: REALM }), { sourceAddress: '127.0.0.3' });
    expect(refused).toMatchObject({ kind: 'response', status: 403, reason: 'Forbidden' });
    expect(pbx.requests.length).toBe(before);
    // Another source is not affected.
    expect(await registerWith('127.0.0.4', '1001', USERS['1001'])).toBe(200);
  });

  it('a challenge to a request without credentials is not a failure', async () => {
    await boot();
    for (let i = 0; i < 15; i++) {
      clock.advance(250);
      const answer = await wire.inject(register({ user: '1001', domain: REALM }), { sourceAddress: '127.0.0.5' });
      await settled();
      expect(answer).toMatchObject({ kind: 'proxied', finalStatus: 401 });
    }
    expect(activeBlock('127.0.0.5')).toBeNull();
  });

  it('a successful REGISTER clears the count', async () => {
    await boot();
    for (let i = 0; i < 9; i++) await registerWith('127.0.0.6', '1001', 'wrong');
    expect(await registerWith('127.0.0.6', '1001', USERS['1001'])).toBe(200);
    for (let i = 0; i < 9; i++) await registerWith('127.0.0.6', '1001', 'wrong');
    expect(activeBlock('127.0.0.6')).toBeNull();
  });

  it('failures for many usernames from one source (svwar-style enumeration) block sooner', async () => {
    await boot();
    for (const user of ['2001', '2002', '2003', '2004']) await registerWith('127.0.0.7', user, 'guess');
    expect(activeBlock('127.0.0.7')).toBeNull();
    await registerWith('127.0.0.7', '2005', 'guess');
    expect(activeBlock('127.0.0.7')).toMatchObject({ source: 'enumeration' });
  });

  it('repeat offenders are blocked longer, and blocks expire by themselves', async () => {
    await boot('auth_failures:\n  max_failures: 2\n');
    for (let i = 0; i < 2; i++) await registerWith('127.0.0.8', '1001', 'wrong');
    const first = activeBlock('127.0.0.8');
    expect(first?.expiresAt).toBe(clock.now() + 3_600_000);
    clock.advance(3_600_000);
    expect(activeBlock('127.0.0.8')).toBeNull();
    for (let i = 0; i < 2; i++) await registerWith('127.0.0.8', '1001', 'wrong');
    expect(activeBlock('127.0.0.8')).toMatchObject({ offence: 1, expiresAt: clock.now() + 7_200_000 });
  });
});

describe('scanners', () => {
  it('rejects a sipvicious User-Agent, blocks the source, and records why', async () => {
    await boot();
    const answer = await wire.inject(options({ user: '100', domain: REALM, ua: 'friendly-scanner' }), { sourceAddress: '127.0.1.1' });
    expect(answer).toMatchObject({ kind: 'response', status: 403, reason: 'Forbidden' });
    expect(activeBlock('127.0.1.1')).toMatchObject({ source: 'scanner', expiresAt: clock.now() + 86_400_000 });
    const later = await wire.inject(options({ user: '100', domain: REALM, ua: 'Yealink' }), { sourceAddress: '127.0.1.1' });
    expect(later).toMatchObject({ kind: 'response', status: 403 });
    expect(pbx.requests).toHaveLength(0);

    daemon.app.events.flush();
    const events = daemon.app.events.query({ ip: '127.0.1.1', limit: 10, offset: 0 }).items.map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['scanner', 'block']));
    const metrics = await daemon.app.metrics.registry.metrics();
    expect(metrics).toMatch(/sipwarden_scanner_hits_total\{rule="ua-friendly-scanner"\} 1/);
    expect(metrics).toMatch(/sipwarden_requests_total\{method="OPTIONS",verdict="scanner"\} 1/);
  });

  it('catches sipvicious by its From host and To user even with a rotated User-Agent', async () => {
    await boot();
    const fromHost = await wire.inject(options({ user: '100', domain: REALM, ua: 'Zoiper', from: '<sip:100@1.1.1.1>;tag=x' }), { sourceAddress: '127.0.1.2' });
    expect(fromHost).toMatchObject({ kind: 'response', status: 403 });
    const toUser = await wire.inject(options({ user: '100', domain: REALM, ua: 'Zoiper', to: '<sip:sipvicious@pbx.test>' }), { sourceAddress: '127.0.1.3' });
    expect(toUser).toMatchObject({ kind: 'response', status: 403 });
  });

  it('never blocks a trusted network, even when it looks like a scanner', async () => {
    await boot('trusted_networks:\n  - 127.0.2.0/24\n');
    const answer = await wire.inject(options({ user: '100', domain: REALM, ua: 'friendly-scanner' }), { sourceAddress: '127.0.2.9' });
    expect(answer).toMatchObject({ kind: 'proxied', finalStatus: 200 });
    expect(activeBlock('127.0.2.9')).toBeNull();
  });

  it('stays silent towards blocked sources when configured so', async () => {
    await boot('blocking:\n  action: silent\n');
    const answer = await wire.inject(options({ user: '100', domain: REALM, ua: 'sipcli/v1.8' }), { sourceAddress: '127.0.1.4', timeoutMs: 500 });
    expect(answer).toEqual({ kind: 'no-answer' });
    expect(activeBlock('127.0.1.4')).not.toBeNull();
  });
});

describe('floods', () => {
  it('blocks a source sending more than 30 requests in 2 s, for 5 minutes', async () => {
    await boot();
    const results = [];
    for (let i = 0; i < 31; i++) results.push(await wire.inject(options({ user: '1001', domain: REALM }), { sourceAddress: '127.0.3.1' }));
    expect(results.slice(0, 30).every((r) => r.kind === 'proxied')).toBe(true);
    expect(results[30]).toMatchObject({ kind: 'response', status: 403 });
    expect(activeBlock('127.0.3.1')).toMatchObject({ source: 'flood', expiresAt: clock.now() + 300_000 });
    clock.advance(300_000);
    expect(await wire.inject(options({ user: '1001', domain: REALM }), { sourceAddress: '127.0.3.1' })).toMatchObject({ kind: 'proxied' });
  });

  it('a slow steady sender is never a flood', async () => {
    await boot();
    for (let i = 0; i < 40; i++) {
      clock.advance(100);
      expect(await wire.inject(options({ user: '1001', domain: REALM }), { sourceAddress: '127.0.3.2' })).toMatchObject({ kind: 'proxied' });
    }
  });
});

describe('state across restarts and connections', () => {
  it('blocks survive a restart', async () => {
    await boot();
    await wire.inject(options({ user: '1', domain: REALM, ua: 'sipvicious' }), { sourceAddress: '127.0.4.1' });
    const dir = daemon.dir;
    await daemon.stop();
    await waitFor(() => wire.connectedApps === 0, 'the old connection to close');
    daemon = await startDaemon({ drachtioPort: wire.port, pbxPort: pbx.port, clock, dir });
    await wire.waitForApp(['OPTIONS']);
    expect(activeBlock('127.0.4.1')).toMatchObject({ source: 'scanner' });
    expect(await wire.inject(options({ user: '1', domain: REALM }), { sourceAddress: '127.0.4.1' })).toMatchObject({ kind: 'response', status: 403 });
  });

  it('reconnects when drachtio-server drops the connection, and /healthz follows', async () => {
    await boot();
    const health = async (): Promise<number> => (await fetch(`${daemon.adminUrl}/healthz`)).status;
    expect(await health()).toBe(200);
    wire.disconnectClients();
    await waitFor(() => !daemon.app.sip.connected, 'the daemon to notice the disconnect');
    expect(await health()).toBe(503);
    await wire.waitForApp(['REGISTER']);
    await waitFor(() => daemon.app.sip.connected, 'the daemon to reconnect');
    expect(await health()).toBe(200);
    expect(await wire.inject(options({ user: '1', domain: REALM }), { sourceAddress: '127.0.0.2' })).toMatchObject({ kind: 'proxied' });
  });
});
