/** Trusted networks: sources that are never blocked (offices, trunks, the PBX itself). */
import { NetworkSet } from '../net/ip.js';

export class Allowlist {
  private readonly networks: NetworkSet;

  /** Throws, naming the entry, when one is not an IP address or CIDR range. */
  constructor(entries: Iterable<string>) {
    this.networks = new NetworkSet(entries);
  }

  isTrusted(ip: string): boolean {
    return this.networks.match(ip) !== null;
  }

  add(entry: string): string {
    return this.networks.add(entry);
  }

  remove(entry: string): boolean {
    return this.networks.remove(entry);
  }

  list(): string[] {
    return this.networks.entries();
  }
}
