/**
 * A small drachtio-server stand-in speaking drachtio's app wire protocol, so that integration
 * tests drive the REAL drachtio-srf library (connect, authenticate, route, res.send,
 * proxyRequest) without the C++ server. Proxied requests really go out over UDP loopback to
 * their destinations (the PBX stand-in) and the final answers come back the way
 * drachtio-server reports them. Test code only; formats checked against drachtio-srf 5.0.29
 * lib/wire-protocol.js (framing), lib/drachtio-agent.js (_onMsg 'sip'/'response' tokens,
 * proxy(), routeVerbs, _onConnect) and lib/request.js (proxy result handling), and against
 * drachtio-server's source (client.cpp, pending-request-controller.cpp, sip-proxy-controller.cpp).
 *
 * What it imitates of drachtio-server:
 * - authenticate: `OK|<hostports>|<version>|<local hostports>`; a wrong secret gets
 *   `NO|incorrect secret` and the connection is closed (client.cpp processMessage/read_handler).
 * - route / remove_route: `OK`; ping: `OK|pong`.
 * - A request for a method no connected app routed is not delivered: drachtio-server answers it
 *   503 Service Unavailable itself (pending-request-controller.cpp processNewRequest).
 * - A CANCEL for an INVITE still pending goes to the app that has the INVITE and is answered
 *   200 by the server; any other CANCEL gets 481.
 * - `sip|txnId|dialogId` carrying a response: `OK|application|<bytes>|udp|...|txnId|dialogId||Msg sent:|`
 *   plus the message; an unknown transaction gets `NOK`. A request the app originates (UAC) is
 *   recorded and refused with `NOK` (this double sends nothing on the app's behalf).
 * - proxy: serial (or, when asked, all at once) forwarding over UDP with its own top Via,
 *   Max-Forwards decremented (set to 70 when absent), Record-Route (REGISTER: Path and
 *   Require: path) when the app asked to stay in the dialog; each final response received is
 *   reported `OK|network|<bytes>|udp|<addr>|<port>|<time>|||continue` plus the response, then
 *   `OK|done`. A target that never answers is reported to the app by nothing at all, as
 *   drachtio-server does (only received responses are relayed); the injection's result counts
 *   it as 408. The UAC gets the first 2xx/6xx, else the best final response (RFC 3261 16.7.6
 *   order, as ProxyCore::forwardBestResponse), else 408.
 * Request-URI: replaced by the destination when the original names drachtio-server's own address
 * (127.0.0.1:5060 here), as drachtio-server does. Deviations: it is also rewritten when the
 * destination has a user part;
 * no retransmissions; finalTimeout is honoured per target (capped at 5 s), where drachtio-server
 * (checked at its current source) parses it but never applies it: SipProxyController::addProxy
 * uses only provisionalTimeout, and a target is given up by timer C (INVITE) or F (32 s, other
 * methods); provisionalTimeout is ignored here; followRedirects is not implemented.
 */
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { allHeaders, getHeader, headerName, joinSip, randomToken, splitSip, statusOf, type SipText } from './sip-text.js';

export type InjectResult =
  | { readonly kind: 'response'; readonly status: number; readonly reason: string; readonly headers: Record<string, string>; readonly raw: string }
  | { readonly kind: 'proxied'; readonly finalStatus: number; readonly attempts: ReadonlyArray<{ destination: string; status: number }>; readonly finalResponse: string }
  | { readonly kind: 'no-answer' };

export interface InjectOptions {
  readonly sourceAddress?: string;
  readonly sourcePort?: number;
  readonly transport?: 'udp' | 'tcp';
  readonly timeoutMs?: number;
}

export interface ProxiedRequest {
  readonly destination: string;
  readonly method: string;
  readonly requestUri: string;
  readonly raw: string;
}

/** What the app sent: `sip` messages that are responses (res.send) or requests (UAC). */
export interface AppMessage {
  readonly txnId: string;
  readonly dialogId: string;
  readonly raw: string;
}

interface AppConnection {
  readonly socket: Socket;
  /** drachtio-server dialled the app (outbound mode): the app routes nothing, it gets every method. */
  readonly outbound: boolean;
  authenticated: boolean;
  readonly routes: Set<string>;
  buffer: Buffer;
}

interface Pending {
  readonly resolve: (result: InjectResult) => void;
  readonly timer: NodeJS.Timeout;
}

/** The longest a test waits for one proxied destination, whatever finalTimeout the app asked for. */
const MAX_TARGET_WAIT_MS = 5000;

export class DrachtioWireServer {
  /** Every request the server forwarded for a proxy command, in order. */
  readonly proxied: ProxiedRequest[] = [];
  /** Called for every forwarded request, as it is sent. */
  onProxied: ((request: ProxiedRequest) => void) | null = null;
  /** Every response the app sent (res.send), raw. */
  readonly appResponses: string[] = [];
  /** Requests the app tried to originate (refused by this double). */
  readonly appRequests: AppMessage[] = [];
  private readonly apps = new Set<AppConnection>();
  private readonly pending = new Map<string, Pending>();
  /** Every transaction id handed to an app, with its Call-ID and method (responses and CANCELs match on it). */
  private readonly transactions = new Map<string, { callId: string; method: string; app: AppConnection; answered: boolean }>();
  /** Raw requests of pending injections, by transaction id: what a proxy command forwards. */
  private readonly injected = new Map<string, string>();
  private readonly udp: UdpSocket;
  private readonly udpWaiters = new Map<string, (raw: string) => void>();

  private constructor(
    private readonly server: Server,
    private readonly secret: string,
    udp: UdpSocket,
  ) {
    this.udp = udp;
    udp.on('message', (data) => this.onUdp(data.toString('utf8')));
    server.on('connection', (socket) => this.onConnection(socket));
  }

  static async start(options: { secret?: string; port?: number } = {}): Promise<DrachtioWireServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    return new DrachtioWireServer(server, options.secret ?? 'cymru', udp);
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  get connectedApps(): number {
    return this.liveApps().length;
  }

  /** Authenticated connections still open, oldest first. */
  private liveApps(): AppConnection[] {
    return [...this.apps].filter((a) => a.authenticated && !a.socket.destroyed && !a.socket.readableEnded);
  }

  /** Resolves when an authenticated app has routed these methods. */
  async waitForApp(methods: readonly string[] = [], timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.liveApps().some((a) => a.outbound || methods.every((m) => a.routes.has(m)))) {
      if (Date.now() > deadline) throw new Error(`no app routed ${methods.join(', ')} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  disconnectClients(): void {
    for (const app of this.apps) app.socket.destroy();
    this.apps.clear();
  }

  async close(): Promise<void> {
    this.disconnectClients();
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ kind: 'no-answer' });
    }
    this.pending.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
  }

  /** Deliver a request to the app as drachtio-server does for one received from the network. */
  inject(rawSip: string, options: InjectOptions = {}): Promise<InjectResult> {
    const raw = rawSip.replace(/\r?\n/g, '\r\n');
    const method = /^(\S+)/.exec(raw)?.[1] ?? '';
    // A response outside any transaction is dropped by drachtio-server (its stack finds no transaction).
    if (method.startsWith('SIP/')) return Promise.resolve({ kind: 'no-answer' });
    if (method === 'CANCEL') return Promise.resolve(this.cancel(raw, options));
    // The newest live connection wins (an app that just restarted replaces its old connection).
    const app = this.liveApps().reverse().find((a) => a.outbound || a.routes.has(method));
    if (!app) {
      // drachtio-server answers by itself when no application takes a method.
      return Promise.resolve({ kind: 'response', status: 503, reason: 'Service Unavailable', headers: {}, raw: '' });
    }
    const txnId = randomUUID();
    const dialogId = '';
    const address = options.sourceAddress ?? '127.0.0.1';
    const port = options.sourcePort ?? 5099;
    const protocol = options.transport ?? 'udp';
    const leader = networkLeader(raw, protocol, address, port, txnId, dialogId);
    this.transactions.set(txnId, { callId: getHeader(splitSip(raw), 'Call-ID') ?? '', method, app, answered: false });
    return new Promise<InjectResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(txnId);
        this.injected.delete(txnId);
        resolve({ kind: 'no-answer' });
      }, options.timeoutMs ?? 2000);
      this.pending.set(txnId, { resolve, timer });
      this.injected.set(txnId, raw);
      this.send(app.socket, `${leader}\r\n${raw}`);
    });
  }

  /** CANCEL: drachtio-server answers it itself and passes it to the app holding the INVITE. */
  private cancel(raw: string, options: InjectOptions): InjectResult {
    const callId = getHeader(splitSip(raw), 'Call-ID') ?? '';
    const entry = [...this.transactions.entries()].find(([id, t]) => t.method === 'INVITE' && t.callId === callId && !t.answered && this.pending.has(id));
    const response = synthesize(entry ? 200 : 481, entry ? 'OK' : 'Call/Transaction Does Not Exist', raw);
    if (entry) {
      const [txnId, t] = entry;
      this.send(t.app.socket, `${networkLeader(raw, options.transport ?? 'udp', options.sourceAddress ?? '127.0.0.1', options.sourcePort ?? 5099, txnId, '')}\r\n${raw}`);
    }
    const message = splitSip(response);
    const status = statusOf(response) ?? { status: 481, reason: '' };
    return { kind: 'response', status: status.status, reason: status.reason, headers: headerRecord(message), raw: response };
  }

  private settle(txnId: string, result: InjectResult): void {
    const pending = this.pending.get(txnId);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(txnId);
    this.injected.delete(txnId);
    pending.resolve(result);
  }

  private send(socket: Socket, payload: string): void {
    const message = `${randomUUID()}|${payload}`;
    socket.write(`${Buffer.byteLength(message)}#${message}`);
  }

  private reply(socket: Socket, requestId: string, rest: string): void {
    this.send(socket, `response|${requestId}|${rest}`);
  }

  /** Report the end of a proxied call, as drachtio-server does with CDRs (<cdrs>true</cdrs>): to apps that subscribed. */
  sendCdrStop(rawBye: string, reason = 'normal-release'): number {
    const raw = rawBye.replace(/\r?\n/g, '\r\n');
    const apps = this.liveApps().filter((a) => a.routes.has('CDR:STOP'));
    for (const app of apps) this.send(app.socket, `cdr:stop|network|${new Date().toISOString()}|${reason}\r\n${raw}`);
    return apps.length;
  }

  /** Outbound mode: dial an app that listens (srf.listen), as drachtio-server does for outbound connections. */
  async dialApp(port: number): Promise<void> {
    const socket = createConnection({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    this.onConnection(socket, true);
  }

  private onConnection(socket: Socket, outbound = false): void {
    const app: AppConnection = { socket, outbound, authenticated: false, routes: new Set(), buffer: Buffer.alloc(0) };
    this.apps.add(app);
    socket.on('data', (chunk) => {
      app.buffer = Buffer.concat([app.buffer, chunk]);
      for (;;) {
        const hash = app.buffer.indexOf('#');
        if (hash <= 0) return;
        const length = Number(app.buffer.toString('utf8', 0, hash));
        if (!Number.isInteger(length) || length <= 0) {
          socket.destroy();
          return;
        }
        if (app.buffer.length < hash + 1 + length) return;
        const message = app.buffer.toString('utf8', hash + 1, hash + 1 + length);
        app.buffer = app.buffer.subarray(hash + 1 + length);
        this.onAppMessage(app, message);
      }
    });
    socket.on('error', () => {});
    socket.on('end', () => this.apps.delete(app));
    socket.on('close', () => this.apps.delete(app));
  }

  private onAppMessage(app: AppConnection, message: string): void {
    const crlf = message.indexOf('\r\n');
    const leader = crlf < 0 ? message : message.slice(0, crlf);
    const body = crlf < 0 ? '' : message.slice(crlf + 2);
    const token = leader.split('|');
    const [msgId = '', type = ''] = token;
    switch (type) {
      case 'authenticate':
        if (token[2] === this.secret) {
          app.authenticated = true;
          this.reply(app.socket, msgId, 'OK|udp/127.0.0.1:5060,tcp/127.0.0.1:5060|v0.9.10-wire-test|udp/127.0.0.1:5060,tcp/127.0.0.1:5060');
        } else {
          // drachtio-server answers NO and drops the client (client.cpp: processMessage returns false).
          this.reply(app.socket, msgId, 'NO|incorrect secret');
          app.socket.end();
          this.apps.delete(app);
        }
        return;
      case 'route':
        if (token[2]) app.routes.add(token[2].toUpperCase());
        this.reply(app.socket, msgId, 'OK');
        return;
      case 'remove_route':
        if (token[2]) app.routes.delete(token[2].toUpperCase());
        this.reply(app.socket, msgId, 'OK');
        return;
      case 'ping':
        this.reply(app.socket, msgId, 'OK|pong');
        return;
      case 'sip':
        if (body.startsWith('SIP/')) this.onAppResponse(app, msgId, token[2] ?? '', token[3] ?? '', body);
        else {
          this.appRequests.push({ txnId: token[2] ?? '', dialogId: token[3] ?? '', raw: body });
          this.reply(app.socket, msgId, 'NOK|DrachtioWireServer does not send requests for the app');
        }
        return;
      case 'proxy':
        void this.onProxy(app, msgId, token, body);
        return;
      default:
        this.reply(app.socket, msgId, 'OK');
    }
  }

  /** The app answered a request itself (res.send). */
  private onAppResponse(app: AppConnection, msgId: string, txnId: string, dialogId: string, raw: string): void {
    this.appResponses.push(raw);
    const status = statusOf(raw);
    const transaction = this.transactions.get(txnId);
    if (!transaction || transaction.answered) {
      // drachtio-server cannot find the server transaction (or it is already completed).
      this.reply(app.socket, msgId, 'NOK|unknown or completed transaction');
      return;
    }
    this.reply(app.socket, msgId, `OK|application|${Buffer.byteLength(raw)}|udp|127.0.0.1|5060|${timeOfDay()}|${txnId}|${dialogId}||Msg sent:|\r\n${raw}`);
    if (!status || status.status < 200) return;
    transaction.answered = true;
    this.settle(txnId, { kind: 'response', status: status.status, reason: status.reason, headers: headerRecord(splitSip(raw)), raw });
  }

  /**
   * proxy|txnId|remainInDialog|fullResponse|followRedirects|simultaneous-or-serial|provTmo|finalTmo|dest...
   * followed by a template request carrying the headers the app wants added (drachtio-agent.js proxy()).
   */
  private async onProxy(app: AppConnection, msgId: string, token: string[], template: string): Promise<void> {
    const txnId = token[2] ?? '';
    const recordRoute = token[3] === 'remainInDialog';
    const simultaneous = token[6] === 'simultaneous';
    const finalTimeoutMs = Math.min(parseTimeout(token[8] ?? '') ?? MAX_TARGET_WAIT_MS, MAX_TARGET_WAIT_MS);
    const destinations = token.slice(9).filter((d) => d !== '');
    const original = this.originalRequest(txnId);
    if (original === null || destinations.length === 0) {
      this.reply(app.socket, msgId, 'NOK|error proxying request');
      return;
    }
    const transaction = this.transactions.get(txnId);
    if (transaction) transaction.answered = true;
    // From here the proxy settles the injection itself, however long the targets take.
    const waiting = this.pending.get(txnId);
    if (waiting) clearTimeout(waiting.timer);
    const extraHeaders = splitSip(template).headers.filter(([n]) => headerName(n) !== 'content-length');
    const attempts: Array<{ destination: string; status: number }> = [];
    const received: string[] = [];
    const tryOne = async (destination: string): Promise<number> => {
      const response = await this.forward(original, destination, extraHeaders, recordRoute, finalTimeoutMs);
      if (response === null) {
        attempts.push({ destination, status: 408 });
        return 408;
      }
      const status = statusOf(response)?.status ?? 500;
      attempts.push({ destination, status });
      received.push(response);
      const target = parseHostPort(destination);
      this.reply(app.socket, msgId, `OK|network|${Buffer.byteLength(response)}|udp|${target.host}|${target.port}|${timeOfDay()}|||continue\r\n${response}`);
      return status;
    };
    if (simultaneous) {
      await Promise.all(destinations.map((d) => tryOne(d)));
    } else {
      for (const destination of destinations) {
        const status = await tryOne(destination);
        if ((status >= 200 && status < 300) || status >= 600) break;
      }
    }
    this.reply(app.socket, msgId, 'OK|done');
    const finalResponse = bestResponse(received) ?? synthesize(408, 'Request Timeout', original);
    const finalStatus = statusOf(finalResponse)?.status ?? 408;
    this.settle(txnId, { kind: 'proxied', finalStatus, attempts, finalResponse });
  }

  /** The raw request of a pending injection (kept for proxying). */
  private originalRequest(txnId: string): string | null {
    return this.injected.get(txnId) ?? null;
  }

  /** Send one request to a destination over UDP; its final answer, or null when none came in time. */
  private forward(raw: string, destination: string, extraHeaders: ReadonlyArray<[string, string]>, recordRoute: boolean, timeoutMs: number): Promise<string | null> {
    const message = splitSip(raw);
    const [method = '', uri = ''] = message.startLine.split(' ');
    const target = parseHostPort(destination);
    // drachtio-server replaces a Request-URI naming one of its own addresses (127.0.0.1:5060 here) with the destination.
    const pointsAtUs = /^sips?:(?:[^@]*@)?127\.0\.0\.1(?::5060)?(?:[;?]|$)/i.test(uri);
    const requestUri = pointsAtUs || /^sips?:[^@;]+@/.test(destination) ? (destination.split(';')[0] ?? uri) : uri;
    const branch = `z9hG4bK-wire-${randomToken()}`;
    const local = this.udp.address();
    const extraNames = new Set(extraHeaders.map(([n]) => headerName(n)));
    const headers = message.headers
      .filter(([n]) => !extraNames.has(headerName(n)))
      .map(([n, v]): [string, string] => (n.toLowerCase() === 'max-forwards' ? [n, String(Math.max(0, Number(v) - 1))] : [n, v]));
    if (!headers.some(([n]) => n.toLowerCase() === 'max-forwards')) headers.push(['Max-Forwards', '70']);
    headers.unshift(['Via', `SIP/2.0/UDP 127.0.0.1:${local.port};branch=${branch}`]);
    if (recordRoute && method === 'REGISTER') headers.push(['Path', `<sip:127.0.0.1:${local.port};lr>`], ['Require', 'path']);
    else if (recordRoute) headers.unshift(['Record-Route', `<sip:127.0.0.1:${local.port};lr>`]);
    headers.push(...extraHeaders.map(([n, v]): [string, string] => [n, v]));
    const out = joinSip({ startLine: `${method} ${requestUri} SIP/2.0`, headers, body: message.body });
    const forwarded: ProxiedRequest = { destination, method, requestUri, raw: out };
    this.proxied.push(forwarded);
    this.onProxied?.(forwarded);
    return new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => {
        this.udpWaiters.delete(branch);
        resolve(null);
      }, timeoutMs);
      this.udpWaiters.set(branch, (response) => {
        clearTimeout(timer);
        this.udpWaiters.delete(branch);
        resolve(response);
      });
      this.udp.send(out, target.port, target.host, (err) => {
        if (!err) return;
        // drachtio-server answers an unreachable or unresolvable destination with 503.
        clearTimeout(timer);
        this.udpWaiters.delete(branch);
        resolve(synthesize(503, 'Service Unavailable', raw));
      });
    });
  }

  /** Final responses from proxy targets, matched on the branch of our Via; 1xx are ignored. */
  private onUdp(raw: string): void {
    const status = statusOf(raw);
    if (!status || status.status < 200) return;
    const message = splitSip(raw);
    const [topVia] = allHeaders(message, 'Via');
    const branch = /branch=([^;\s,]+)/.exec(topVia ?? '')?.[1];
    if (!branch) return;
    const waiter = this.udpWaiters.get(branch);
    if (!waiter) return;
    // Strip our Via, as a proxy does before relaying the response upstream.
    let removed = false;
    const headers = message.headers.filter(([n]) => {
      if (!removed && headerName(n) === 'via') {
        removed = true;
        return false;
      }
      return true;
    });
    waiter(joinSip({ ...message, headers }));
  }
}

/** The leader drachtio-server puts before a request it received (client.cpp sendSipMessageToClient). */
function networkLeader(raw: string, protocol: string, address: string, port: number, txnId: string, dialogId: string): string {
  return ['sip', 'network', String(Buffer.byteLength(raw)), protocol, address, String(port), timeOfDay(), txnId, dialogId, '127.0.0.1', '5060', ''].join('|');
}

function timeOfDay(): string {
  return new Date().toISOString().slice(11, 23);
}

function headerRecord(message: SipText): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [n, v] of message.headers) {
    const name = n.toLowerCase();
    if (!(name in record)) record[name] = v;
  }
  return record;
}

/** '2s', '500ms', '32' (seconds), as drachtio-server's ProxyCore::setProvisionalTimeout reads them. */
function parseTimeout(text: string): number | null {
  const match = /^(\d+)(ms|s)?$/.exec(text.trim());
  if (!match?.[1]) return null;
  return Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
}

function parseHostPort(destination: string): { host: string; port: number } {
  const withoutScheme = destination.replace(/^sips?:/, '').replace(/^[^@]*@/, '').split(';')[0] ?? '';
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(withoutScheme);
  return { host: match?.[1] ?? '127.0.0.1', port: match?.[2] ? Number(match[2]) : 5060 };
}

/** RFC 3261 16.7.6 as drachtio-server ranks final responses (bestResponseOrder): 2xx/6xx first, then auth challenges, 4xx, 5xx. */
function bestResponse(responses: readonly string[]): string | null {
  const rank = (raw: string): number => {
    const status = statusOf(raw)?.status ?? 0;
    if (status >= 200 && status < 300) return 0;
    if (status >= 600) return 1;
    if ([401, 407, 415, 420, 484].includes(status)) return 2;
    if (status >= 400 && status < 500) return 3;
    if (status >= 500 && status < 600) return 4;
    return 5;
  };
  let best: string | null = null;
  for (const response of responses) if (best === null || rank(response) < rank(best)) best = response;
  return best;
}

function synthesize(status: number, reason: string, request?: string): string {
  const message = request ? splitSip(request) : null;
  const copy = (name: string): string[] => (message ? allHeaders(message, name).map((v) => `${name}: ${v}`) : []);
  return [`SIP/2.0 ${status} ${reason}`, ...copy('Via'), ...copy('From'), ...copy('To'), ...copy('Call-ID'), ...copy('CSeq'), 'Content-Length: 0', '', ''].join('\r\n');
}
