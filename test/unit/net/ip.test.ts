import { describe, expect, it } from 'vitest';
import { NetworkSet, normalizeCidr, normalizeIp, normalizeTarget } from '../../../src/net/ip.js';

describe('address parsing', () => {
  it('canonicalises IPv4, IPv6 and IPv4-mapped IPv6', () => {
    expect(normalizeIp(' 192.0.2.7 ')).toBe('192.0.2.7');
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('refuses ambiguous or broken forms', () => {
    for (const bad of ['10.1', '0x7f.0.0.1', '010.0.0.1', '256.0.0.1', 'fe80::1%eth0', '', 'example.com']) expect(normalizeIp(bad)).toBeNull();
  });

  it('reduces CIDRs to their network and folds full-length prefixes', () => {
    expect(normalizeCidr('192.0.2.77/24')).toBe('192.0.2.0/24');
    expect(normalizeCidr('2001:db8::1/32')).toBe('2001:db8::/32');
    expect(normalizeCidr('192.0.2.7/32')).toBe('192.0.2.7');
    expect(normalizeCidr('::ffff:192.0.2.0/120')).toBe('192.0.2.0/24');
    expect(normalizeCidr('192.0.2.0/33')).toBeNull();
    expect(normalizeTarget('10.0.0.0/8')).toBe('10.0.0.0/8');
  });
});

describe('NetworkSet', () => {
  const set = new NetworkSet(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '198.51.100.128/25']);

  it('matches addresses in ranges and exact addresses, per family', () => {
    expect(set.match('10.255.1.2')).toBe('10.0.0.0/8');
    expect(set.match('192.0.2.7')).toBe('192.0.2.7');
    expect(set.match('192.0.2.8')).toBeNull();
    expect(set.match('2001:db8:ffff::1')).toBe('2001:db8::/32');
    expect(set.match('2001:db9::1')).toBeNull();
    expect(set.match('198.51.100.200')).toBe('198.51.100.128/25');
    expect(set.match('198.51.100.127')).toBeNull();
    expect(set.match('::ffff:10.1.1.1')).toBe('10.0.0.0/8');
    expect(set.match('not an ip')).toBeNull();
  });

  it('adds and removes, and refuses bad entries by name', () => {
    const s = new NetworkSet();
    expect(s.add('172.16.5.4/12')).toBe('172.16.0.0/12');
    expect(s.match('172.31.0.1')).toBe('172.16.0.0/12');
    expect(s.remove('172.16.0.0/12')).toBe(true);
    expect(s.match('172.31.0.1')).toBeNull();
    expect(s.size).toBe(0);
    expect(() => s.add('10.0.0.300')).toThrow('"10.0.0.300" is not an IP address or CIDR range');
  });
});
