/**
 * A PBX/registrar stand-in on UDP loopback: challenges REGISTER and INVITE with a digest
 * nonce, checks the credentials (RFC 2617 MD5, with and without qop) against its users, and
 * answers 200 for the right password, 403 for a wrong one or an unknown user (403 rather than
 * 404, so that a scanner learns nothing about which users exist) or a nonce it never issued.
 * REGISTER's 200 echoes the Contact with expires=300; OPTIONS and every other method get 200.
 * Responses copy Via, From, To (a tag added), Call-ID and CSeq. ACKs are recorded nowhere and
 * never answered. Test code only.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { digestResponse } from './sip-messages.js';
import { allHeaders, authParams, getHeader, randomToken, splitSip, type SipText } from './sip-text.js';

export interface ReceivedRequest {
  readonly method: string;
  readonly requestUri: string;
  /** Headers by lower-case name (the first value of each). */
  readonly headers: Record<string, string>;
  readonly message: SipText;
  readonly raw: string;
  readonly from: RemoteInfo;
}

export interface Answer {
  readonly status: number;
  readonly reason?: string;
  readonly headers?: Record<string, string>;
  /** Answer this many ms late (or never, with Infinity). */
  readonly delayMs?: number;
}

export interface PbxOptions {
  /** username -> password */
  readonly users?: Record<string, string>;
  readonly realm?: string;
  /** Address to bind (default 127.0.0.1). */
  readonly address?: string;
  /** Per-request answer; null falls back to the registrar behaviour. */
  readonly answer?: (request: ReceivedRequest) => Answer | null;
}

const REASONS: Record<number, string> = { 200: 'OK', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 480: 'Temporarily Unavailable', 486: 'Busy Here', 603: 'Decline' };

export class PbxStandIn {
  readonly requests: ReceivedRequest[] = [];
  private readonly nonces = new Set<string>();

  private constructor(
    private readonly socket: Socket,
    private readonly options: PbxOptions,
  ) {
    socket.on('message', (data, rinfo) => this.onMessage(data.toString('utf8'), rinfo));
  }

  static async start(options: PbxOptions = {}): Promise<PbxStandIn> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, options.address ?? '127.0.0.1', () => resolve());
    });
    return new PbxStandIn(socket, options);
  }

  get port(): number {
    return this.socket.address().port;
  }

  get address(): string {
    return this.socket.address().address;
  }

  get uri(): string {
    return `sip:${this.address}:${this.port};transport=udp`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private onMessage(raw: string, rinfo: RemoteInfo): void {
    const message = splitSip(raw);
    const match = /^(\S+)\s+(\S+)\s+SIP\/2\.0$/.exec(message.startLine);
    if (!match?.[1] || !match[2]) return; // a response or garbage: ignore
    const headers: Record<string, string> = {};
    for (const [name, value] of message.headers) if (!(name.toLowerCase() in headers)) headers[name.toLowerCase()] = value;
    const request: ReceivedRequest = { method: match[1], requestUri: match[2], headers, message, raw, from: rinfo };
    if (request.method === 'ACK') return;
    this.requests.push(request);
    const answer = this.options.answer?.(request) ?? this.registrar(request);
    const send = (): void => this.socket.send(this.response(request, answer), rinfo.port, rinfo.address);
    if (answer.delayMs === undefined) send();
    else if (Number.isFinite(answer.delayMs)) setTimeout(send, answer.delayMs).unref();
  }

  private registrar(request: ReceivedRequest): Answer {
    if (request.method !== 'REGISTER' && request.method !== 'INVITE') return { status: 200 };
    const realm = this.options.realm ?? 'pbx.test';
    const authorization = getHeader(request.message, 'Authorization');
    if (!authorization) {
      const nonce = randomToken();
      this.nonces.add(nonce);
      return { status: 401, headers: { 'WWW-Authenticate': `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5, qop="auth"` } };
    }
    const p = authParams(authorization);
    const username = p.get('username') ?? '';
    const password = this.options.users?.[username];
    const nonce = p.get('nonce') ?? '';
    if (password === undefined || !this.nonces.has(nonce)) return { status: 403 };
    const qop = p.get('qop');
    const expected = digestResponse({
      username,
      password,
      realm: p.get('realm') ?? realm,
      nonce,
      uri: p.get('uri') ?? request.requestUri,
      method: request.method,
      ...(qop === 'auth' ? { qop: 'auth' as const, nc: p.get('nc') ?? '', cnonce: p.get('cnonce') ?? '' } : {}),
    });
    return p.get('response') === expected ? { status: 200 } : { status: 403 };
  }

  private response(request: ReceivedRequest, answer: Answer): string {
    const m = request.message;
    const to = getHeader(m, 'To') ?? '';
    const lines = [
      `SIP/2.0 ${answer.status} ${answer.reason ?? REASONS[answer.status] ?? 'Answer'}`,
      ...allHeaders(m, 'Via').map((v) => `Via: ${v}`),
      `From: ${getHeader(m, 'From') ?? ''}`,
      `To: ${/;\s*tag=/i.test(to) ? to : `${to};tag=pbx-${randomToken()}`}`,
      `Call-ID: ${getHeader(m, 'Call-ID') ?? ''}`,
      `CSeq: ${getHeader(m, 'CSeq') ?? ''}`,
      'Server: PbxStandIn',
    ];
    if (answer.status >= 200 && answer.status < 300 && request.method === 'REGISTER') {
      const contact = getHeader(m, 'Contact');
      if (contact) lines.push(`Contact: ${contact};expires=300`);
    }
    for (const [name, value] of Object.entries(answer.headers ?? {})) lines.push(`${name}: ${value}`);
    lines.push('Content-Length: 0', '', '');
    return lines.join('\r\n');
  }
}
