/**
 * IP and CIDR parsing: strict input forms, one canonical output form, and a fast set of networks.
 *
 * IPv4 must be four-part decimal (no "10.1", no "0x7f.1", no octal-looking "010.0.0.1");
 * IPv4-mapped IPv6 ("::ffff:192.0.2.7") is folded to plain IPv4, so that a target
 * and a socket address compare equal. CIDRs are reduced to their network address
 * ("192.0.2.7/24" -> "192.0.2.0/24"); a /32 (/128) is the single address.
 */
import ipaddr from 'ipaddr.js';

const ZONE = /%/;
/** A dotted quad already in canonical form (no spaces, no leading zeros): the common case, checked first. */
const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Canonical form of a single IP address, or null when `input` is not one. */
export function normalizeIp(input: string): string | null {
  if (CANONICAL_IPV4.test(input)) return input;
  const text = input.trim();
  if (text.length === 0 || text.length > 45 || ZONE.test(text)) return null;
  if (text.includes(':')) {
    if (!ipaddr.IPv6.isValid(text)) return null;
    return ipaddr.process(text).toString();
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  if (text.split('.').some((part) => part.length > 1 && part.startsWith('0'))) return null;
  return ipaddr.IPv4.parse(text).toString();
}

/** Canonical form of a CIDR range, or null when `input` is not one. */
export function normalizeCidr(input: string): string | null {
  const text = input.trim();
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return null;
  const address = normalizeIp(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (address === null || !/^\d{1,3}$/.test(bitsText)) return null;
  let bits = Number(bitsText);
  const mapped = text.slice(0, slash).includes(':') && !address.includes(':');
  if (mapped) {
    // "::ffff:192.0.2.0/120" is the IPv4 range 192.0.2.0/24.
    if (bits < 96) return null;
    bits -= 96;
  }
  const max = address.includes(':') ? 128 : 32;
  if (bits > max) return null;
  if (bits === max) return address;
  const network = address.includes(':')
    ? ipaddr.IPv6.networkAddressFromCIDR(`${address}/${bits}`)
    : ipaddr.IPv4.networkAddressFromCIDR(`${address}/${bits}`);
  return `${network.toString()}/${bits}`;
}

/** A block target: a single IP or a CIDR range, canonical; null when neither. */
export function normalizeTarget(input: string): string | null {
  return input.includes('/') ? normalizeCidr(input) : normalizeIp(input);
}

/** The address of a socket peer, canonical (IPv4-mapped IPv6 folded), or null when unknown. */
export function peerAddress(remoteAddress: string | undefined): string | null {
  if (remoteAddress === undefined) return null;
  return normalizeIp(remoteAddress);
}

/**
 * A set of addresses and CIDR ranges with fast membership tests: single addresses in a hash
 * set; ranges grouped by prefix length, so a lookup masks the address once per distinct
 * prefix length present (at most 33 for IPv4, 129 for IPv6) whatever the number of ranges.
 * IPv4 and IPv6 never match each other.
 */
export class NetworkSet {
  /** Canonical single addresses, both families. */
  private readonly addresses = new Set<string>();
  /** prefix length (longest first) -> canonical network strings of that length, per family. */
  private readonly ranges = { ipv4: new Map<number, Set<string>>(), ipv6: new Map<number, Set<string>>() };

  /** Throws, naming the entry, when one is neither an IP address nor a CIDR range. */
  constructor(entries: Iterable<string> = []) {
    for (const entry of entries) this.add(entry);
  }

  /** Add an address or range; returns its canonical form. Throws, naming the entry, on anything else. */
  add(entry: string): string {
    const canonical = normalizeTarget(entry);
    if (canonical === null) throw new Error(`"${entry}" is not an IP address or CIDR range`);
    const slash = canonical.indexOf('/');
    if (slash < 0) {
      this.addresses.add(canonical);
    } else {
      const family = this.familyOf(canonical);
      const bits = Number(canonical.slice(slash + 1));
      let set = family.get(bits);
      if (!set) {
        family.set(bits, (set = new Set()));
        // Longest prefix first, so that match() returns the most specific range.
        const sorted = [...family].sort(([a], [b]) => b - a);
        family.clear();
        for (const [length, networks] of sorted) family.set(length, networks);
      }
      set.add(canonical);
    }
    return canonical;
  }

  /** Remove an address or range (any spelling of it); false when it was not in the set. */
  remove(entry: string): boolean {
    const canonical = normalizeTarget(entry);
    if (canonical === null) return false;
    const slash = canonical.indexOf('/');
    if (slash < 0) return this.addresses.delete(canonical);
    const family = this.familyOf(canonical);
    const bits = Number(canonical.slice(slash + 1));
    const set = family.get(bits);
    const removed = set?.delete(canonical) ?? false;
    if (set && set.size === 0) family.delete(bits);
    return removed;
  }

  /** Whether this exact entry (any spelling of it) is in the set; not whether it is covered by one. */
  has(entry: string): boolean {
    const canonical = normalizeTarget(entry);
    if (canonical === null) return false;
    const slash = canonical.indexOf('/');
    if (slash < 0) return this.addresses.has(canonical);
    return this.familyOf(canonical).get(Number(canonical.slice(slash + 1)))?.has(canonical) ?? false;
  }

  /** The most specific entry covering `ip` (canonical or raw): the address itself, else the longest-prefix range; null when none. */
  match(ip: string): string | null {
    const address = this.addresses.has(ip) ? ip : normalizeIp(ip);
    if (address === null) return null;
    if (this.addresses.has(address)) return address;
    if (address.includes(':')) {
      if (this.ranges.ipv6.size === 0) return null;
      const bytes = ipaddr.IPv6.parse(address).toByteArray();
      for (const [bits, set] of this.ranges.ipv6) {
        const network = `${ipv6Network(bytes, bits)}/${bits}`;
        if (set.has(network)) return network;
      }
      return null;
    }
    if (this.ranges.ipv4.size === 0) return null;
    const value = ipv4Value(address);
    for (const [bits, set] of this.ranges.ipv4) {
      const network = `${ipv4Network(value, bits)}/${bits}`;
      if (set.has(network)) return network;
    }
    return null;
  }

  /** Every entry, canonical: addresses first, then ranges. */
  entries(): string[] {
    const out = [...this.addresses];
    for (const family of [this.ranges.ipv4, this.ranges.ipv6]) for (const set of family.values()) out.push(...set);
    return out;
  }

  /** How many entries the set holds. */
  get size(): number {
    let n = this.addresses.size;
    for (const family of [this.ranges.ipv4, this.ranges.ipv6]) for (const set of family.values()) n += set.size;
    return n;
  }

  private familyOf(canonical: string): Map<number, Set<string>> {
    return canonical.includes(':') ? this.ranges.ipv6 : this.ranges.ipv4;
  }
}

/** A canonical dotted quad as an unsigned 32-bit integer. */
function ipv4Value(address: string): number {
  let value = 0;
  for (const part of address.split('.')) value = value * 256 + Number(part);
  return value;
}

/** The network of `value` at `bits`, as a dotted quad. */
function ipv4Network(value: number, bits: number): string {
  const n = bits === 0 ? 0 : (value & (0xffffffff << (32 - bits))) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The network of an IPv6 address (16 bytes) at `bits`, canonical. */
function ipv6Network(bytes: number[], bits: number): string {
  const masked = bytes.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return keep === 8 ? byte : keep === 0 ? 0 : byte & (0xff << (8 - keep)) & 0xff;
  });
  return ipaddr.fromByteArray(masked).toString();
}
