/**
 * Turns a drachtio request into the immutable SipRequestView the core decides on. Parsing
 * happens once, here; the URIs and name-addr headers go through sip.js's RFC 3261 grammar.
 * A request whose essential headers cannot be parsed is refused with a reason, never thrown.
 */
import { Grammar } from 'sip.js';
import { normalizeIp } from '../net/ip.js';
import type { CredentialsView, NameAddrView, SipRequestView, SipUriView, Transport } from '../request.js';
import type { DrachtioRequest } from './srf.js';

export type ViewResult = { readonly ok: true; readonly view: SipRequestView } | { readonly ok: false; readonly problem: string };

const TRANSPORTS: ReadonlySet<string> = new Set(['udp', 'tcp', 'tls', 'ws', 'wss', 'sctp']);
/** Longest header value we look into; longer ones are cut (a scanner cannot make us scan megabytes). */
const MAX_VALUE = 4096;

export function buildRequestView(req: DrachtioRequest, receivedAt: number): ViewResult {
  const sourceIp = normalizeIp(String(req.source_address ?? ''));
  if (sourceIp === null) return { ok: false, problem: `unusable source address ${JSON.stringify(req.source_address)}` };

  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    const key = name.toLowerCase();
    const text = String(value).slice(0, MAX_VALUE);
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? text : `${previous}, ${text}`);
  }

  const requestUri = parseUri(String(req.uri ?? ''));
  if (requestUri === null) return { ok: false, problem: 'the Request-URI is not a valid URI' };
  const from = parseNameAddr(headers.get('from'));
  if (from === null) return { ok: false, problem: 'the From header is missing or malformed' };
  const to = parseNameAddr(headers.get('to'));
  if (to === null) return { ok: false, problem: 'the To header is missing or malformed' };
  const callId = headers.get('call-id');
  if (callId === undefined || callId.trim() === '') return { ok: false, problem: 'the Call-ID header is missing' };

  const cseqNumber = /^\s*(\d{1,10})/.exec(headers.get('cseq') ?? '')?.[1];
  const protocol = String(req.protocol ?? 'udp').toLowerCase();
  const view: SipRequestView = {
    method: String(req.method).toUpperCase(),
    sourceIp,
    sourcePort: Number(req.source_port) || 0,
    transport: (TRANSPORTS.has(protocol) ? protocol : 'udp') as Transport,
    requestUri,
    from,
    to,
    callId: callId.trim(),
    cseq: cseqNumber === undefined ? null : Number(cseqNumber),
    userAgent: headers.get('user-agent') ?? null,
    contact: headers.get('contact') ?? null,
    inDialog: to.tag !== null,
    credentials: parseCredentials(headers),
    headers,
    receivedAt,
  };
  return { ok: true, view: Object.freeze(view) };
}

/** A Request-URI: sip/sips through the grammar, tel and other schemes kept with their user part. */
export function parseUri(text: string): SipUriView | null {
  const raw = text.trim();
  if (raw === '') return null;
  const parsed = Grammar.URIParse(raw);
  if (parsed) {
    return {
      raw,
      scheme: parsed.scheme.toLowerCase(),
      user: parsed.user ?? null,
      host: unbracket(parsed.host.toLowerCase()),
      port: parsed.port ?? null,
    };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):(.+)$/.exec(raw);
  if (scheme?.[1] === undefined || scheme[2] === undefined) return null;
  if (scheme[1].toLowerCase() === 'tel') {
    const number = scheme[2].split(';')[0] ?? '';
    return { raw, scheme: 'tel', user: number === '' ? null : number, host: '', port: null };
  }
  return { raw, scheme: scheme[1].toLowerCase(), user: null, host: '', port: null };
}

/** From/To: "Name" <uri>;tag=x, or a bare addr-spec. The tag is kept; the URI may be null for exotic schemes. */
export function parseNameAddr(value: string | undefined): NameAddrView | null {
  if (value === undefined || value.trim() === '') return null;
  const parsed: unknown = Grammar.parse(value.trim(), 'From');
  if (parsed !== -1 && parsed !== null && typeof parsed === 'object') {
    const header = parsed as { uri: { scheme: string; user?: string; host: string; port?: number; toString(): string }; displayName?: string; getParam(name: string): string | undefined };
    const tag = header.getParam('tag');
    return {
      uri: {
        raw: header.uri.toString(),
        scheme: header.uri.scheme.toLowerCase(),
        user: header.uri.user ?? null,
        host: unbracket(header.uri.host.toLowerCase()),
        port: header.uri.port ?? null,
      },
      displayName: header.displayName === undefined || header.displayName === '' ? null : header.displayName,
      tag: tag === undefined || tag === '' ? null : tag,
    };
  }
  // Not sip/sips (tel:, urn:...): keep the tag so dialog detection still works.
  const angle = /<([^>]*)>/.exec(value);
  const tag = /;\s*tag\s*=\s*([^;,\s]+)/i.exec(angle ? value.slice((angle.index ?? 0) + angle[0].length) : value)?.[1] ?? null;
  const uri = parseUri(angle?.[1] ?? value.split(';')[0] ?? '');
  if (uri === null) return null;
  return { uri, displayName: null, tag };
}

/** Authorization / Proxy-Authorization: which scheme, for which username and realm. */
export function parseCredentials(headers: ReadonlyMap<string, string>): CredentialsView | null {
  for (const header of ['authorization', 'proxy-authorization'] as const) {
    const value = headers.get(header);
    if (value === undefined || value.trim() === '') continue;
    const scheme = /^\s*([A-Za-z][\w-]*)/.exec(value)?.[1];
    if (scheme === undefined) continue;
    const params = parseAuthParams(value.slice(value.indexOf(scheme) + scheme.length));
    return { header, scheme: scheme.toLowerCase(), username: params.get('username') ?? null, realm: params.get('realm') ?? null };
  }
  return null;
}

/** name=value pairs of a credentials header; values may be quoted with backslash escapes. */
function parseAuthParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /\s*,?\s*([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const match of text.matchAll(pattern)) {
    const name = match[1]?.toLowerCase();
    if (name === undefined || params.has(name)) continue;
    params.set(name, match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? ''));
  }
  return params;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
