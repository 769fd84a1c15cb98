/**
 * A small drachtio-server stand-in speaking drachtio's app wire protocol, so that integration
 * tests drive the REAL drachtio-srf library (connect, authenticate, route, res.send,
 * proxyRequest) without the C++ server. Proxied requests really go out over UDP loopback to
 * their destinations (the PBX stand-in) and the final answers come back the way
 * drachtio-server reports them. Test code only; formats checked against drachtio-srf 5.0.29
 * lib/wire-protocol.js (framing), lib/drachtio-agent.js (_onMsg 'sip'/'response' tokens,
 * proxy(), routeVerbs, _onConnect) and lib/request.js (proxy result handling).
 */
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { allHeaders, joinSip, randomToken, splitSip, statusOf } from './sip-text.js';

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
  readonly proxied: ProxiedRequest[] = [];
  readonly appResponses: string[] = [];
  private readonly apps = new Set<AppConnection>();
  private readonly pending = new Map<string, Pending>();
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
    const leader = ['sip', 'network', String(Buffer.byteLength(raw)), protocol, address, String(port), new Date().toISOString().slice(11, 23), txnId, dialogId, '127.0.0.1', '5060'].join('|');
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
          this.reply(app.socket, msgId, 'OK|udp/127.0.0.1:5060|v0.9.10-wire-test');
        } else {
          this.reply(app.socket, msgId, 'NO|incorrect secret');
        }
        return;
      case 'route':
        if (token[2]) app.routes.add(token[2].toUpperCase());
        this.reply(app.socket, msgId, 'OK');
        return;
      case 'ping':
        this.reply(app.socket, msgId, 'OK');
        return;
      case 'sip':
        this.onAppResponse(app, msgId, token[2] ?? '', body);
        return;
      case 'proxy':
        void this.onProxy(app, msgId, token, body);
        return;
      default:
        this.reply(app.socket, msgId, 'OK');
    }
  }

  /** The app answered a request itself (res.send). */
  private onAppResponse(app: AppConnection, msgId: string, txnId: string, raw: string): void {
    this.appResponses.push(raw);
    const status = statusOf(raw);
    this.reply(app.socket, msgId, `OK|application|${Buffer.byteLength(raw)}|udp|127.0.0.1|5060|${Date.now()}|${txnId}|\r\n${raw}`);
    if (!status || status.status < 200) return;
    const message = splitSip(raw);
    this.settle(txnId, { kind: 'response', status: status.status, reason: status.reason, headers: Object.fromEntries(message.headers.map(([n, v]) => [n.toLowerCase(), v])), raw });
  }

  /** proxy|txnId|remainInDialog|fullResponse|followRedirects|serial|provTmo|finalTmo|dest... (drachtio-agent.js proxy()). */
  private async onProxy(app: AppConnection, msgId: string, token: string[], _template: string): Promise<void> {
    const txnId = token[2] ?? '';
    const recordRoute = token[3] === 'remainInDialog';
    const finalTimeoutMs = Math.min(parseTimeout(token[8] ?? '') ?? 32_000, MAX_TARGET_WAIT_MS);
    const destinations = token.slice(9).filter((d) => d !== '');
    const original = this.originalRequest(txnId);
    // From here the proxy settles the injection itself, however long the targets take.
    const waiting = this.pending.get(txnId);
    if (waiting) clearTimeout(waiting.timer);
    const attempts: Array<{ destination: string; status: number }> = [];
    let finalResponse = '';
    for (const destination of destinations) {
      const response = original === null ? synthesize(408, 'Request Timeout') : await this.forward(original, destination, recordRoute, finalTimeoutMs);
      const status = statusOf(response)?.status ?? 500;
      attempts.push({ destination, status });
      finalResponse = response;
      const target = parseHostPort(destination);
      this.reply(
        app.socket,
        msgId,
        `OK|network|${Buffer.byteLength(response)}|udp|${target.host}|${target.port}|${Date.now()}|${txnId}||continue\r\n${response}`,
      );
      if ((status >= 200 && status < 300) || status >= 600) break;
    }
    this.reply(app.socket, msgId, 'OK|done');
    const finalStatus = statusOf(finalResponse)?.status ?? 408;
    this.settle(txnId, { kind: 'proxied', finalStatus, attempts, finalResponse });
  }

  /** The raw request of a pending injection (kept for proxying). */
  private originalRequest(txnId: string): string | null {
    return this.injected.get(txnId) ?? null;
  }

  /** Send one request to a destination over UDP, wait for its final answer (408 on timeout). */
  private forward(raw: string, destination: string, recordRoute: boolean, timeoutMs: number): Promise<string> {
    const message = splitSip(raw);
    const [method = '', uri = ''] = message.startLine.split(' ');
    const target = parseHostPort(destination);
    const requestUri = /^sips?:[^@;]+@/.test(destination) ? destination.split(';')[0] ?? uri : uri;
    const branch = `z9hG4bK-wire-${randomToken()}`;
    const local = this.udp.address();
    const headers = message.headers.map(([n, v]): [string, string] => (n.toLowerCase() === 'max-forwards' ? [n, String(Math.max(0, Number(v) - 1))] : [n, v]));
    headers.unshift(['Via', `SIP/2.0/UDP 127.0.0.1:${local.port};branch=${branch}`]);
    if (recordRoute) headers.unshift(['Record-Route', `<sip:127.0.0.1:${local.port};lr>`]);
    const out = joinSip({ startLine: `${method} ${requestUri} SIP/2.0`, headers, body: message.body });
    this.proxied.push({ destination, method, requestUri, raw: out });
    return new Promise<string>((resolve) => {
      const timer = setTimeout(() => {
        this.udpWaiters.delete(branch);
        resolve(synthesize(408, 'Request Timeout', raw));
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
      if (!removed && (n.toLowerCase() === 'via' || n.toLowerCase() === 'v')) {
        removed = true;
        return false;
      }
      return true;
    });
    waiter(joinSip({ ...message, headers }));
  }
}

function parseTimeout(text: string): number | null {
  const match = /^(\d+)(ms|s)?$/.exec(text.trim());
  if (!match?.[1]) return null;
  return Number(match[1]) * (match[2] === 's' ? 1000 : match[2] === 'ms' ? 1 : 1000);
}

function parseHostPort(destination: string): { host: string; port: number } {
  const withoutScheme = destination.replace(/^sips?:/, '').replace(/^[^@]*@/, '').split(';')[0] ?? '';
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(withoutScheme);
  return { host: match?.[1] ?? '127.0.0.1', port: match?.[2] ? Number(match[2]) : 5060 };
}

function synthesize(status: number, reason: string, request?: string): string {
  const message = request ? splitSip(request) : null;
  const copy = (name: string): string[] => (message ? allHeaders(message, name).map((v) => `${name}: ${v}`) : []);
  return [`SIP/2.0 ${status} ${reason}`, ...copy('Via'), ...copy('From'), ...copy('To'), ...copy('Call-ID'), ...copy('CSeq'), 'Content-Length: 0', '', ''].join('\r\n');
}
