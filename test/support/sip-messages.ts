/**
 * Raw SIP requests for tests, as phones and scanners send them: CRLF line ends, a fresh Call-ID
 * and a fresh RFC 3261 branch (z9hG4bK...) each time unless given. Digest helpers for the
 * challenge/response round trip (RFC 2617 / RFC 7616 MD5, with and without qop=auth).
 */
import { createHash } from 'node:crypto';
import { authParams, getHeader, randomToken, splitSip } from './sip-text.js';

export interface RequestOptions {
  readonly user?: string;
  readonly domain?: string;
  readonly ua?: string | null;
  readonly from?: string;
  readonly to?: string;
  readonly contact?: string | null;
  readonly authorization?: string;
  readonly callId?: string;
  readonly cseq?: number;
  readonly requestUri?: string;
  readonly extraHeaders?: Record<string, string>;
  /** Top Via sent-by (default 127.0.0.1:5099) and branch (default a fresh z9hG4bK... one). */
  readonly viaHost?: string;
  readonly viaPort?: number;
  readonly branch?: string;
}

function build(method: string, uri: string, o: RequestOptions & { readonly toValue: string; readonly fromValue: string; readonly body?: string }): string {
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${o.viaHost ?? '127.0.0.1'}:${o.viaPort ?? 5099};branch=${o.branch ?? `z9hG4bK-${randomToken()}`};rport`,
    'Max-Forwards: 70',
    `From: ${o.fromValue}`,
    `To: ${o.toValue}`,
    `Call-ID: ${o.callId ?? `${randomToken()}@test`}`,
    `CSeq: ${o.cseq ?? 1} ${method}`,
  ];
  if (o.contact !== null) lines.push(`Contact: ${o.contact ?? `<sip:${o.user ?? 'anonymous'}@${o.viaHost ?? '127.0.0.1'}:${o.viaPort ?? 5099}>`}`);
  if (o.ua !== null) lines.push(`User-Agent: ${o.ua ?? 'TestPhone/1.0'}`);
  if (o.authorization) lines.push(`Authorization: ${o.authorization}`);
  for (const [name, value] of Object.entries(o.extraHeaders ?? {})) lines.push(`${name}: ${value}`);
  const body = o.body ?? '';
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return lines.join('\r\n');
}

export function register(o: RequestOptions = {}): string {
  const domain = o.domain ?? 'pbx.test';
  const user = o.user ?? '1001';
  const aor = `<sip:${user}@${domain}>`;
  return build('REGISTER', o.requestUri ?? `sip:${domain}`, {
    ...o,
    user,
    fromValue: o.from ?? `${aor};tag=${randomToken()}`,
    toValue: o.to ?? aor,
    extraHeaders: { Expires: '300', ...o.extraHeaders },
  });
}

export function options(o: RequestOptions = {}): string {
  const domain = o.domain ?? 'pbx.test';
  const user = o.user ?? '1001';
  return build('OPTIONS', o.requestUri ?? `sip:${user}@${domain}`, {
    ...o,
    fromValue: o.from ?? `<sip:probe@${domain}>;tag=${randomToken()}`,
    toValue: o.to ?? `<sip:${user}@${domain}>`,
  });
}

export interface InviteOptions extends RequestOptions {
  readonly toUser: string;
  readonly fromUser: string;
  /** Another method in the same shape (BYE...), usually with toTag. */
  readonly method?: string;
  readonly toTag?: string;
  /** An in-dialog request: a To tag (toTag, or a made-up one). */
  readonly inDialog?: boolean;
}

const SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

export function invite(o: InviteOptions): string {
  const domain = o.domain ?? 'pbx.test';
  const method = o.method ?? 'INVITE';
  const toTag = o.toTag ?? (o.inDialog ? `dlg-${randomToken()}` : undefined);
  return build(method, o.requestUri ?? `sip:${o.toUser}@${domain}`, {
    ...o,
    user: o.fromUser,
    fromValue: o.from ?? `"Caller ${o.fromUser}" <sip:${o.fromUser}@${domain}>;tag=${randomToken()}`,
    toValue: o.to ?? `<sip:${o.toUser}@${domain}>${toTag ? `;tag=${toTag}` : ''}`,
    ...(method === 'INVITE' ? { body: SDP } : {}),
  });
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

export interface DigestInput {
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly method: string;
  readonly qop?: 'auth';
  readonly nc?: string;
  readonly cnonce?: string;
}

/** RFC 2617 digest response (MD5). */
export function digestResponse(d: DigestInput): string {
  const ha1 = md5(`${d.username}:${d.realm}:${d.password}`);
  const ha2 = md5(`${d.method}:${d.uri}`);
  return d.qop ? md5(`${ha1}:${d.nonce}:${d.nc ?? '00000001'}:${d.cnonce ?? 'c0ffee'}:${d.qop}:${ha2}`) : md5(`${ha1}:${d.nonce}:${ha2}`);
}

export function digestAuthorization(d: DigestInput): string {
  const qop = d.qop ? `, qop=${d.qop}, nc=${d.nc ?? '00000001'}, cnonce="${d.cnonce ?? 'c0ffee'}"` : '';
  return `Digest username="${d.username}", realm="${d.realm}", nonce="${d.nonce}", uri="${d.uri}", response="${digestResponse(d)}", algorithm=MD5${qop}`;
}

/** realm and nonce of the challenge in a 401/407 response, and qop 'auth' when the challenge offers it. */
export function challengeFrom(rawResponse: string): { realm: string; nonce: string; qop?: 'auth' } {
  const message = splitSip(rawResponse);
  const header = getHeader(message, 'WWW-Authenticate') ?? getHeader(message, 'Proxy-Authenticate');
  if (!header) throw new Error(`no challenge in:\n${rawResponse}`);
  const params = authParams(header);
  const offersAuth = (params.get('qop') ?? '').split(',').some((q) => q.trim() === 'auth');
  return { realm: params.get('realm') ?? '', nonce: params.get('nonce') ?? '', ...(offersAuth ? { qop: 'auth' as const } : {}) };
}
