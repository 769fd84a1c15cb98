/** Trusted networks: sources that are never blocked (offices, trunks, the PBX itself). */
import { NetworkSet } from '../net/ip.js';

/** Trusted addresses and CIDR ranges, IPv4 and IPv6; checked before every other guard. */
export class Allowlist {
  private readonly networks: NetworkSet;

  /** Throws, naming the entry, when one is not an IP address or CIDR range. */
  constructor(entries: Iterable<string>) {
    this.networks = new NetworkSet(entries);
  }

  /** Whether the address (canonical or raw, IPv4-mapped IPv6 folded) is in a trusted network. */
  isTrusted(ip: string): boolean {
    return this.networks.match(ip) !== null;
  }

  /** Trust an address or range; returns its canonical form. Throws on an invalid entry. */
  add(entry: string): string {
    return this.networks.add(entry);
  }

  /** Stop trusting an entry; false when it was not listed. */
  remove(entry: string): boolean {
    return this.networks.remove(entry);
  }

  /** Every trusted entry, canonical. */
  list(): string[] {
    return this.networks.entries();
  }
}
