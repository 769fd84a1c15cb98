/** Which Request-URIs name an extension: the user part matches a pattern, the host one of the domains (any host when none are given). */
import type { SipUriView } from '../request.js';

export class ExtensionMatcher {
  private readonly patterns: readonly RegExp[];
  private readonly domains: ReadonlySet<string>;

  constructor(options: { readonly patterns: readonly string[]; readonly domains: readonly string[] }) {
    this.patterns = options.patterns.map((p) => new RegExp(p));
    this.domains = new Set(options.domains.map((d) => d.toLowerCase()));
  }

  /** The extension a Request-URI addresses, or null. */
  extensionOf(uri: SipUriView): string | null {
    const user = uri.user;
    if (user === null || user === '') return null;
    if (this.domains.size > 0 && !this.domains.has(uri.host)) return null;
    return this.patterns.some((p) => p.test(user)) ? user : null;
  }
}
