import { describe, expect, it } from 'vitest';
import { Allowlist } from '../../../src/guard/allowlist.js';

describe('Allowlist', () => {
  it('trusts configured IPv4 and IPv6 networks and nothing else', () => {
    const allow = new Allowlist(['10.0.0.0/8', '2001:db8:100::/48', '192.0.2.250']);
    expect(allow.isTrusted('10.1.2.3')).toBe(true);
    expect(allow.isTrusted('2001:db8:100:5::9')).toBe(true);
    expect(allow.isTrusted('192.0.2.250')).toBe(true);
    expect(allow.isTrusted('192.0.2.251')).toBe(false);
    expect(allow.isTrusted('2001:db8:101::1')).toBe(false);
  });

  it('changes at run time', () => {
    const allow = new Allowlist([]);
    allow.add('203.0.113.0/24');
    expect(allow.isTrusted('203.0.113.9')).toBe(true);
    expect(allow.remove('203.0.113.0/24')).toBe(true);
    expect(allow.isTrusted('203.0.113.9')).toBe(false);
    expect(allow.list()).toEqual([]);
  });
});
