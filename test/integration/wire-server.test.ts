/**
 * The drachtio wire-protocol test server against the REAL drachtio-srf: connect and
 * authenticate, routing, res.send, proxyRequest (serial forking, digest round trip, timeouts),
 * CANCEL, framing, and reconnection. Loopback only, every wait bounded.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import Srf from 'drachtio-srf';
import { afterEach, describe, expect, it } from 'vitest';
import { DrachtioWireServer } from '../support/drachtio-wire-server.js';
import { PbxStandIn } from '../support/pbx-standin.js';
import { challengeFrom, digestAuthorization, invite, options, register } from '../support/sip-messages.js';

// --- the part of drachtio-srf 5.0.x these tests use (its shipped typings are incomplete) ---

interface SrfRequest {
  readonly method: string;
  readonly uri: string;
  readonly source_address: string;
  readonly source_port: number | string;
  readonly protocol: string;
  get(name: string): string | undefined;
  on(event: 'cancel', listener: () => void): void;
}

interface SrfResponse {
  send(status: number, reason?: string, opts?: { headers?: Record<string, string> }): void;
}

interface ProxyResult {
  readonly connected: boolean;
  readonly finalStatus?: number;
  readonly finalResponse?: { readonly status: number };
  readonly responses: ReadonlyArray<{ readonly address: string; readonly port: number; readonly msgs: ReadonlyArray<{ readonly status: number }> }>;
}

interface ProxyOptions {
  recordRoute?: boolean;
  forking?: 'serial' | 'simultaneous';
  finalTimeout?: string;
}

type Handler = (req: SrfRequest, res: SrfResponse) => void;

interface TestSrf {
  connect(opts: { host: string; port: number; secret: string; reconnect?: { retryMaxDelay?: number; maxAttempts?: number } }): void;
  disconnect(): void;
  on(event: 'connect', listener: (err: Error | null, hostport?: string) => void): this;
  on(event: 'error' | 'reconnecting' | 'close', listener: (...args: unknown[]) => void): this;
  register(handler: Handler): void;
  invite(handler: Handler): void;
  options(handler: Handler): void;
  proxyRequest(req: SrfRequest, destination: string[], opts: ProxyOptions): Promise<ProxyResult>;
}

const SrfClass = Srf as unknown as new () => TestSrf;

// --- fixtures ---

const SECRET = 'wire-test-secret';
let wire: DrachtioWireServer | undefined;
const apps: TestSrf[] = [];
const pbxes: PbxStandIn[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const srf of apps.splice(0)) {
    try {
      srf.disconnect();
    } catch {
      // no live connection to drop
    }
  }
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const pbx of pbxes.splice(0)) await pbx.close();
  await wire?.close();
  wire = undefined;
});

async function startWire(): Promise<DrachtioWireServer> {
  wire = await DrachtioWireServer.start({ secret: SECRET });
  return wire;
}

async function startPbx(options: Parameters<typeof PbxStandIn.start>[0] = {}): Promise<PbxStandIn> {
  const pbx = await PbxStandIn.start(options);
  pbxes.push(pbx);
  return pbx;
}

interface ConnectedApp {
  readonly srf: TestSrf;
  /** Every 'connect' event: [error message or null, hostport]. */
  readonly connects: Array<[string | null, string | undefined]>;
}

/** A real srf app, handlers installed before connecting (as sipwarden does), connected to the wire server. */
function connectApp(server: DrachtioWireServer, install: (srf: TestSrf) => void, secret = SECRET, reconnect: { retryMaxDelay?: number; maxAttempts?: number } = { retryMaxDelay: 200 }): ConnectedApp {
  const srf = new SrfClass();
  apps.push(srf);
  const connects: Array<[string | null, string | undefined]> = [];
  srf.on('error', () => {});
  srf.on('connect', (err, hostport) => connects.push([err ? err.message : null, hostport]));
  install(srf);
  srf.connect({ host: '127.0.0.1', port: server.port, secret, reconnect });
  return { srf, connects };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An app that proxies every REGISTER to the given destinations and keeps what srf resolved with. */
function proxyingApp(server: DrachtioWireServer, destinations: () => string[], opts: () => ProxyOptions): { results: ProxyResult[] } {
  const results: ProxyResult[] = [];
  connectApp(server, (srf) =>
    srf.register((req) => {
      // proxyRequest mutates both arguments: fresh ones every time.
      void srf.proxyRequest(req, destinations(), opts()).then((result) => results.push(result));
    }),
  );
  return { results };
}

// --- tests ---

describe('DrachtioWireServer with the real drachtio-srf', () => {
  it('authenticates the right secret (srf gets the hostports) and refuses a wrong one', async () => {
    const server = await startWire();
    const good = connectApp(server, (srf) => srf.register((_req, res) => res.send(200)));
    await server.waitForApp(['REGISTER']);
    await waitFor(() => good.connects.length > 0, 'the connect event');
    expect(good.connects[0]).toEqual([null, 'udp/127.0.0.1:5060,tcp/127.0.0.1:5060']);
    expect(server.connectedApps).toBe(1);

    const bad = connectApp(server, (srf) => srf.register((_req, res) => res.send(200)), 'wrong-secret', { maxAttempts: 1 });
    await waitFor(() => bad.connects.length > 0, 'the refusal');
    expect(bad.connects[0]?.[0]).toMatch(/failed to authenticate/);
    expect(server.connectedApps).toBe(1);
  });

  it('delivers a request with its source address and port; the app answer resolves inject; unrouted methods get 503', async () => {
    const server = await startWire();
    const seen: Array<{ method: string; address: string; port: string; protocol: string; ua: string | undefined }> = [];
    connectApp(server, (srf) =>
      srf.register((req, res) => {
        seen.push({ method: req.method, address: req.source_address, port: String(req.source_port), protocol: req.protocol, ua: req.get('User-Agent') });
        res.send(200, 'OK', { headers: { 'X-Test': 'yes' } });
      }),
    );
    await server.waitForApp(['REGISTER']);

    const result = await server.inject(register({ user: '1001', ua: 'Yealink SIP-T46S' }), { sourceAddress: '192.0.2.7', sourcePort: 5077, transport: 'tcp' });
    expect(result).toMatchObject({ kind: 'response', status: 200, reason: 'OK' });
    if (result.kind !== 'response') throw new Error('unreachable');
    expect(result.headers['x-test']).toBe('yes');
    expect(result.raw).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(seen).toEqual([{ method: 'REGISTER', address: '192.0.2.7', port: '5077', protocol: 'tcp', ua: 'Yealink SIP-T46S' }]);
    expect(server.appResponses).toHaveLength(1);

    // drachtio-server answers a method no application routed with 503 itself.
    expect(await server.inject(options({ user: '1001' }), {})).toMatchObject({ kind: 'response', status: 503 });
  });

  it('reports no-answer when the app stays silent', async () => {
    const server = await startWire();
    connectApp(server, (srf) => srf.options(() => {}));
    await server.waitForApp(['OPTIONS']);
    const started = Date.now();
    expect(await server.inject(options({ user: '1001' }), { timeoutMs: 300 })).toEqual({ kind: 'no-answer' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('proxies REGISTER to the PBX: its 401 challenge reaches both the app (finalStatus) and the injector', async () => {
    const server = await startWire();
    const pbx = await startPbx({ users: { '1001': 'secret-1001' }, realm: 'pbx.test' });
    const app = proxyingApp(server, () => [pbx.uri], () => ({ recordRoute: true, finalTimeout: '2s' }));
    await server.waitForApp(['REGISTER']);

    const result = await server.inject(register({ user: '1001' }), {});
    expect(result).toMatchObject({ kind: 'proxied', finalStatus: 401, attempts: [{ destination: pbx.uri, status: 401 }] });
    await waitFor(() => app.results.length === 1, "the app's proxy result");
    expect(app.results[0]).toMatchObject({ connected: false, finalStatus: 401, finalResponse: { status: 401 } });
    expect(app.results[0]?.responses).toEqual([expect.objectContaining({ address: '127.0.0.1', port: pbx.port })]);

    // What the PBX got: the original Request-URI, our Via on top of the phone's, Path for a REGISTER.
    expect(pbx.requests).toHaveLength(1);
    const forwarded = pbx.requests[0];
    expect(forwarded?.requestUri).toBe('sip:pbx.test');
    expect(forwarded?.raw).toMatch(/^REGISTER sip:pbx\.test SIP\/2\.0\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK[^\r]*\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:5099;/);
    expect(forwarded?.headers['path']).toMatch(/^<sip:127\.0\.0\.1:\d+;lr>$/);
    expect(forwarded?.headers['require']).toBe('path');
    expect(forwarded?.headers['max-forwards']).toBe('69');
    expect(server.proxied.map((p) => [p.method, p.destination])).toEqual([['REGISTER', pbx.uri]]);
    if (result.kind !== 'proxied') throw new Error('unreachable');
    // The response relayed upstream has lost our Via: the phone's is on top again.
    expect(result.finalResponse).toMatch(/\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:5099;/);
    expect(challengeFrom(result.finalResponse)).toMatchObject({ realm: 'pbx.test', qop: 'auth' });
  });

  it('completes the digest round trip through the proxy: right password 200 (with and without qop), wrong 403, unknown user 403', async () => {
    const server = await startWire();
    const pbx = await startPbx({ users: { '1001': 'secret-1001' }, realm: 'pbx.test' });
    proxyingApp(server, () => [pbx.uri], () => ({ recordRoute: true, finalTimeout: '2s' }));
    await server.waitForApp(['REGISTER']);

    const attempt = async (username: string, password: string, qop: boolean): Promise<number> => {
      const callId = `digest-${username}-${password}-${qop}@test`;
      const first = await server.inject(register({ user: username, callId, cseq: 1 }), {});
      if (first.kind !== 'proxied') throw new Error(`expected a proxied challenge, got ${first.kind}`);
      const { realm, nonce } = challengeFrom(first.finalResponse);
      const authorization = digestAuthorization({ username, password, realm, nonce, uri: 'sip:pbx.test', method: 'REGISTER', ...(qop ? { qop: 'auth' as const, cnonce: 'a1b2c3' } : {}) });
      const second = await server.inject(register({ user: username, callId, cseq: 2, authorization }), {});
      if (second.kind !== 'proxied') throw new Error(`expected a proxied answer, got ${second.kind}`);
      return second.finalStatus;
    };
    expect(await attempt('1001', 'secret-1001', true)).toBe(200);
    expect(await attempt('1001', 'secret-1001', false)).toBe(200);
    expect(await attempt('1001', 'wrong', true)).toBe(403);
    expect(await attempt('9999', 'whatever', false)).toBe(403);
    const ok = pbx.requests.find((r) => r.headers['authorization'] !== undefined);
    expect(ok?.headers['authorization']).toMatch(/^Digest username="1001"/);
  });

  it('forks serially: 486 from the first destination, 200 from the second', async () => {
    const server = await startWire();
    const busy = await startPbx({ answer: () => ({ status: 486 }) });
    const free = await startPbx({ answer: () => ({ status: 200 }) });
    const results: ProxyResult[] = [];
    connectApp(server, (srf) =>
      srf.invite((req) => {
        void srf.proxyRequest(req, [busy.uri, free.uri], { recordRoute: true, finalTimeout: '2s' }).then((r) => results.push(r));
      }),
    );
    await server.waitForApp(['INVITE']);
    const forwarded: string[] = [];
    server.onProxied = (p) => forwarded.push(p.destination);

    const result = await server.inject(invite({ toUser: '2001', fromUser: '1001' }), {});
    expect(result).toMatchObject({
      kind: 'proxied',
      finalStatus: 200,
      attempts: [
        { destination: busy.uri, status: 486 },
        { destination: free.uri, status: 200 },
      ],
    });
    expect(forwarded).toEqual([busy.uri, free.uri]);
    await waitFor(() => results.length === 1, "the app's proxy result");
    expect(results[0]).toMatchObject({ connected: true, finalStatus: 200 });
    // srf groups the relayed responses itself, and request.js:158 starts a new group only when the
    // address differs or the port is EQUAL (`port === ...`): two targets on one address with
    // different ports land in one group. That is srf's doing, not the server's.
    expect(results[0]?.responses.map((g) => [g.port, g.msgs.map((m) => m.status)])).toEqual([[busy.port, [486, 200]]]);
    // INVITE with recordRoute: a Record-Route (not Path); a destination with a user part becomes the Request-URI.
    expect(busy.requests[0]?.headers['record-route']).toMatch(/^<sip:127\.0\.0\.1:\d+;lr>$/);
    expect(busy.requests[0]?.requestUri).toBe('sip:2001@pbx.test');
  });

  it('rewrites the Request-URI to a destination with a user part (queue agents)', async () => {
    const server = await startWire();
    const pbx = await startPbx({ answer: () => ({ status: 200 }) });
    const agent = `sip:2002@127.0.0.1:${pbx.port};transport=udp`;
    connectApp(server, (srf) => srf.invite((req) => void srf.proxyRequest(req, [agent], { finalTimeout: '2s' })));
    await server.waitForApp(['INVITE']);
    expect(await server.inject(invite({ toUser: '5000', fromUser: '1001' }), {})).toMatchObject({ kind: 'proxied', finalStatus: 200 });
    expect(pbx.requests[0]?.requestUri).toBe(`sip:2002@127.0.0.1:${pbx.port}`);
    expect(server.proxied[0]).toMatchObject({ destination: agent, method: 'INVITE', requestUri: `sip:2002@127.0.0.1:${pbx.port}` });
  });

  it('a destination that never answers: 408 after finalTimeout; srf hears only done (no final status), as from drachtio-server', async () => {
    const server = await startWire();
    const silent = await startPbx({ answer: () => ({ status: 200, delayMs: Infinity }) });
    const app = proxyingApp(server, () => [silent.uri], () => ({ finalTimeout: '1s' }));
    await server.waitForApp(['REGISTER']);

    const started = Date.now();
    const result = await server.inject(register({ user: '1001' }), { timeoutMs: 500 });
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ kind: 'proxied', finalStatus: 408, attempts: [{ destination: silent.uri, status: 408 }] });
    if (result.kind !== 'proxied') throw new Error('unreachable');
    expect(result.finalResponse).toMatch(/^SIP\/2\.0 408 Request Timeout\r\n/);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3000);
    await waitFor(() => app.results.length === 1, "the app's proxy result");
    expect(app.results[0]).toMatchObject({ connected: false, responses: [] });
    expect(app.results[0]?.finalStatus).toBeUndefined();
    expect(silent.requests).toHaveLength(1);
  });

  it('passes a CANCEL to the app holding the INVITE and answers it 200; the INVITE ends with the app’s 487', async () => {
    const server = await startWire();
    connectApp(server, (srf) => srf.invite((req, res) => req.on('cancel', () => res.send(487))));
    await server.waitForApp(['INVITE']);
    const request = invite({ toUser: '2001', fromUser: '1001', callId: 'cancel-me@test' });
    const pending = server.inject(request, {});
    await waitFor(() => server.connectedApps === 1, 'the app');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cancel = request.replace(/^INVITE /, 'CANCEL ').replace(/CSeq: 1 INVITE/, 'CSeq: 1 CANCEL').replace(/\r\n\r\n[\s\S]*$/, '\r\n\r\n').replace(/Content-Type: application\/sdp\r\n/, '').replace(/Content-Length: \d+/, 'Content-Length: 0');
    expect(await server.inject(cancel, {})).toMatchObject({ kind: 'response', status: 200 });
    expect(await pending).toMatchObject({ kind: 'response', status: 487 });
    expect(await server.inject(cancel, {})).toMatchObject({ kind: 'response', status: 481 });
  });

  it('reads frames split across packets and several frames in one packet', async () => {
    const server = await startWire();
    const socket = tcpConnect({ host: '127.0.0.1', port: server.port });
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    const frame = (payload: string): string => `${Buffer.byteLength(payload)}#${payload}`;
    const auth = frame(`m1|authenticate|${SECRET}|`);
    socket.write(auth.slice(0, 2));
    await new Promise((resolve) => setTimeout(resolve, 30));
    socket.write(auth.slice(2, 9));
    await new Promise((resolve) => setTimeout(resolve, 30));
    socket.write(auth.slice(9) + frame('m2|route|register') + frame('m3|ping'));
    await waitFor(() => received.includes('|response|m3|'), 'three replies');
    expect(received).toMatch(/\d+#[^|]+\|response\|m1\|OK\|udp\/127\.0\.0\.1:5060/);
    expect(received).toMatch(/\|response\|m2\|OK/);
    expect(received).toMatch(/\|response\|m3\|OK\|pong/);
    await server.waitForApp(['REGISTER'], 1000);
  });

  it('disconnectClients(): srf reconnects, routes again and is served again', async () => {
    const server = await startWire();
    const app = connectApp(server, (srf) => srf.register((_req, res) => res.send(200)), SECRET, { retryMaxDelay: 100 });
    await server.waitForApp(['REGISTER']);
    expect(await server.inject(register({ user: '1001' }), {})).toMatchObject({ kind: 'response', status: 200 });

    server.disconnectClients();
    expect(server.connectedApps).toBe(0);
    expect(await server.inject(register({ user: '1001' }), {})).toMatchObject({ kind: 'response', status: 503 });
    await server.waitForApp(['REGISTER'], 3000);
    await waitFor(() => app.connects.length === 2, 'the second connect event');
    expect(server.connectedApps).toBe(1);
    expect(await server.inject(register({ user: '1001' }), {})).toMatchObject({ kind: 'response', status: 200 });
  });
});
