/** Builds SipRequestViews for guard tests: a plain REGISTER with overrides. */
import type { SipRequestView } from '../../../src/request.js';

export interface ViewOverrides {
  readonly method?: string;
  readonly ip?: string;
  readonly ua?: string | null;
  readonly fromUser?: string;
  readonly fromHost?: string;
  readonly toUser?: string;
  readonly contact?: string | null;
  readonly headers?: Record<string, string>;
  readonly at?: number;
}

export function view(over: ViewOverrides = {}): SipRequestView {
  const uri = (user: string, host: string) => ({ raw: `sip:${user}@${host}`, scheme: 'sip', user, host, port: null });
  const headers = new Map(Object.entries(over.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: over.method ?? 'REGISTER',
    sourceIp: over.ip ?? '192.0.2.10',
    sourcePort: 5060,
    transport: 'udp',
    requestUri: uri('1001', 'pbx.example.com'),
    from: { uri: uri(over.fromUser ?? '1001', over.fromHost ?? 'pbx.example.com'), displayName: null, tag: 'f1' },
    to: { uri: uri(over.toUser ?? '1001', 'pbx.example.com'), displayName: null, tag: null },
    callId: 'call-1',
    cseq: 1,
    userAgent: over.ua === undefined ? 'Yealink SIP-T46S' : over.ua,
    contact: over.contact === undefined ? '<sip:1001@192.0.2.10>' : over.contact,
    inDialog: false,
    credentials: null,
    headers,
    receivedAt: over.at ?? 0,
  };
}
