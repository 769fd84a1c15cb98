import { describe, expect, it } from 'vitest';
import { NetworkSet, normalizeCidr, normalizeIp, normalizeTarget } from '../../../src/net/ip.js';

describe('address parsing', () => {
  it('canonicalises IPv4, IPv6 and IPv4-mapped IPv6', () => {
    expect(normalizeIp(' 192.0.2.7 ')).toBe('192.0.2.7');
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('gives canonical dotted quads back as they are, and trims others', () => {
    for (const ip of ['0.0.0.0', '9.9.9.9', '10.0.0.1', '199.249.250.251', '255.255.255.255']) expect(normalizeIp(ip)).toBe(ip);
    expect(normalizeIp('\t10.0.0.1\n')).toBe('10.0.0.1');
    expect(normalizeIp('256.255.255.255')).toBeNull();
    expect(normalizeIp('1.2.3.4.5')).toBeNull();
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

  it('never matches IPv4 against IPv6 ranges or the other way round', () => {
    const v6only = new NetworkSet(['::/0']);
    expect(v6only.match('10.0.0.1')).toBeNull();
    expect(v6only.match('::ffff:10.0.0.1')).toBeNull();
    expect(v6only.match('2001:db8::1')).toBe('::/0');
    const v4only = new NetworkSet(['0.0.0.0/0']);
    expect(v4only.match('2001:db8::1')).toBeNull();
    expect(v4only.match('203.0.113.9')).toBe('0.0.0.0/0');
  });

  it('masks addresses at every prefix length, high addresses included, most specific range first', () => {
    const s = new NetworkSet(['128.0.0.0/1', '192.0.2.128/31', '2001:db8:8000::/33']);
    expect(s.match('255.1.2.3')).toBe('128.0.0.0/1');
    expect(s.match('127.255.255.255')).toBeNull();
    expect(s.match('192.0.2.129')).toBe('192.0.2.128/31');
    expect(s.match('192.0.2.130')).toBe('128.0.0.0/1');
    expect(s.match('2001:db8:8000::1')).toBe('2001:db8:8000::/33');
    expect(s.match('2001:db8:7fff::1')).toBeNull();
  });

  it('knows its own entries in any spelling', () => {
    const s = new NetworkSet(['2001:DB8::/32', '::ffff:192.0.2.1']);
    expect(s.has('2001:db8:0::/32')).toBe(true);
    expect(s.has('192.0.2.1')).toBe(true);
    expect(s.has('2001:db8::1')).toBe(false);
    expect(s.entries()).toEqual(['192.0.2.1', '2001:db8::/32']);
    expect(s.size).toBe(2);
  });

  it('refuses a bad entry at construction, naming it', () => {
    expect(() => new NetworkSet(['10.0.0.0/8', '10.0.0.0/40'])).toThrow('"10.0.0.0/40"');
    expect(() => new NetworkSet(['pbx.example.com'])).toThrow('"pbx.example.com"');
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
