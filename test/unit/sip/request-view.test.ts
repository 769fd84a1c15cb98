import { describe, expect, it } from 'vitest';
import { buildRequestView, parseCredentials, parseNameAddr, parseUri } from '../../../src/sip/request-view.js';
import type { DrachtioRequest } from '../../../src/sip/srf.js';

/** The fields drachtio-srf's Request carries, as plain data (what srf hands us at run time). */
function request(headers: Record<string, string>, over: Partial<DrachtioRequest> = {}): DrachtioRequest {
  return {
    method: 'REGISTER',
    uri: 'sip:pbx.example.com',
    source_address: '192.0.2.10',
    source_port: 5062,
    protocol: 'udp',
    headers,
    get: (name) => headers[Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase()) ?? ''],
    has: (name) => Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase()),
    on: () => {},
    ...over,
  };
}

const base = {
  From: '"Alice" <sip:1001@pbx.example.com>;tag=a1',
  To: '<sip:1001@pbx.example.com>',
  'Call-ID': 'abc@192.0.2.10',
  CSeq: '7 REGISTER',
  'User-Agent': 'Yealink SIP-T46S',
  Contact: '<sip:1001@192.0.2.10:5062>',
};

describe('request view', () => {
  it('parses the fields the guards use', () => {
    const result = buildRequestView(request({ ...base, Authorization: 'Digest username="1001", realm="pbx", nonce="n", uri="sip:pbx", response="x"' }), 42);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { view } = result;
    expect(view).toMatchObject({
      method: 'REGISTER',
      sourceIp: '192.0.2.10',
      sourcePort: 5062,
      transport: 'udp',
      callId: 'abc@192.0.2.10',
      cseq: 7,
      userAgent: 'Yealink SIP-T46S',
      inDialog: false,
      receivedAt: 42,
      credentials: { header: 'authorization', scheme: 'digest', username: '1001', realm: 'pbx' },
    });
    expect(view.from).toEqual({ uri: expect.objectContaining({ scheme: 'sip', user: '1001', host: 'pbx.example.com' }), displayName: 'Alice', tag: 'a1' });
    expect(view.requestUri).toMatchObject({ user: null, host: 'pbx.example.com' });
    expect(view.headers.get('user-agent')).toBe('Yealink SIP-T46S');
    expect(Object.isFrozen(view)).toBe(true);
  });

  it('unwraps IPv4-mapped IPv6 sources and keeps IPv6 canonical', () => {
    const mapped = buildRequestView(request(base, { source_address: '::ffff:198.51.100.7' }), 0);
    expect(mapped.ok && mapped.view.sourceIp).toBe('198.51.100.7');
    const v6 = buildRequestView(request(base, { source_address: '2001:DB8:0:0::1' }), 0);
    expect(v6.ok && v6.view.sourceIp).toBe('2001:db8::1');
  });

  it('marks requests with a To tag as in-dialog', () => {
    const result = buildRequestView(request({ ...base, To: '<sip:1001@pbx.example.com>;tag=zz' }, { method: 'BYE' }), 0);
    expect(result.ok && result.view.inDialog).toBe(true);
  });

  it('refuses requests without the essentials, with a reason', () => {
    expect(buildRequestView(request({ ...base, From: '' }), 0)).toEqual({ ok: false, problem: 'the From header is missing or malformed' });
    const { 'Call-ID': _drop, ...noCallId } = base;
    expect(buildRequestView(request(noCallId), 0)).toEqual({ ok: false, problem: 'the Call-ID header is missing' });
    expect(buildRequestView(request(base, { uri: '' }), 0)).toEqual({ ok: false, problem: 'the Request-URI is not a valid URI' });
    expect(buildRequestView(request(base, { source_address: 'not-an-ip' }), 0).ok).toBe(false);
  });

  it('parses URIs of several schemes', () => {
    expect(parseUri('sip:%61lice@[2001:db8::1]:5070;transport=tcp')).toMatchObject({ scheme: 'sip', user: 'alice', host: '2001:db8::1', port: 5070 });
    expect(parseUri('tel:+4930123;phone-context=x')).toMatchObject({ scheme: 'tel', user: '+4930123', host: '' });
    expect(parseUri('urn:service:sos')).toMatchObject({ scheme: 'urn', user: null });
    expect(parseUri('no scheme here')).toBeNull();
  });

  it('parses name-addr and addr-spec forms, keeping the tag', () => {
    expect(parseNameAddr('sip:bob@example.com;tag=77')).toMatchObject({ uri: { user: 'bob' }, tag: '77', displayName: null });
    expect(parseNameAddr('<tel:+123>;tag=9')).toMatchObject({ uri: { scheme: 'tel', user: '+123' }, tag: '9' });
    expect(parseNameAddr('None')).toBeNull();
  });

  it('reads credentials from Proxy-Authorization too, with escaped quotes', () => {
    const creds = parseCredentials(new Map([['proxy-authorization', 'Digest realm="a\\"b", username="carol"']]));
    expect(creds).toEqual({ header: 'proxy-authorization', scheme: 'digest', username: 'carol', realm: 'a"b' });
    expect(parseCredentials(new Map())).toBeNull();
  });
});
