/**
 * Scanner signatures: rules over the User-Agent, From/To user and host, Contact, the
 * Request-URI user or any other header. A match rejects the request; the source is blocked at
 * once or after N matches within a window.
 */
import { LRUCache } from 'lru-cache';
import type { SipRequestView } from '../request.js';

export type SignatureField = 'user-agent' | 'from-user' | 'from-host' | 'to-user' | 'to-host' | 'request-uri-user' | 'contact' | `header:${string}`;
export type SignatureMatch = 'contains' | 'equals' | 'word' | 'regex';

export interface SignatureRule {
  readonly name: string;
  readonly header: SignatureField;
  readonly match: SignatureMatch;
  readonly pattern: string;
  readonly caseSensitive?: boolean;
  readonly enabled: boolean;
  readonly description?: string;
}

export interface SignatureHit {
  readonly rule: SignatureRule;
  /** The value that matched. */
  readonly matches: string;
}

interface CompiledRule {
  readonly rule: SignatureRule;
  readonly test: (value: string) => boolean;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(rule: SignatureRule): CompiledRule {
  const flags = rule.caseSensitive === true ? '' : 'i';
  switch (rule.match) {
    case 'contains': {
      const needle = rule.caseSensitive === true ? rule.pattern : rule.pattern.toLowerCase();
      return { rule, test: (v) => (rule.caseSensitive === true ? v : v.toLowerCase()).includes(needle) };
    }
    case 'equals': {
      const needle = rule.caseSensitive === true ? rule.pattern : rule.pattern.toLowerCase();
      return { rule, test: (v) => (rule.caseSensitive === true ? v : v.toLowerCase()).trim() === needle };
    }
    case 'word': {
      const re = new RegExp(`(?:^|[^A-Za-z0-9])${escapeRegExp(rule.pattern)}(?:$|[^A-Za-z0-9])`, flags);
      return { rule, test: (v) => re.test(v) };
    }
    case 'regex': {
      let re: RegExp;
      try {
        re = new RegExp(rule.pattern, flags);
      } catch (err) {
        throw new Error(`scanner rule "${rule.name}": invalid regular expression: ${(err as Error).message}`);
      }
      return { rule, test: (v) => re.test(v) };
    }
  }
}

function fieldValue(view: SipRequestView, field: SignatureField): string | null {
  switch (field) {
    case 'user-agent':
      return view.userAgent;
    case 'from-user':
      return view.from.uri?.user ?? null;
    case 'from-host':
      return view.from.uri?.host ?? null;
    case 'to-user':
      return view.to.uri?.user ?? null;
    case 'to-host':
      return view.to.uri?.host ?? null;
    case 'request-uri-user':
      return view.requestUri.user;
    case 'contact':
      return view.contact;
    default:
      return view.headers.get(field.slice('header:'.length).toLowerCase()) ?? null;
  }
}

export class SignatureMatcher {
  private readonly compiled: readonly CompiledRule[];

  /** Throws, naming the rule, when a regular expression does not compile. */
  constructor(readonly rules: readonly SignatureRule[]) {
    this.compiled = rules.filter((r) => r.enabled).map(compile);
  }

  match(view: SipRequestView): SignatureHit | null {
    for (const { rule, test } of this.compiled) {
      const value = fieldValue(view, rule.header);
      if (value !== null && test(value)) return { rule, matches: value };
    }
    return null;
  }
}

export interface ScannerGuardOptions {
  /** Matches from one source (within windowMs) before it is blocked; 1 = at once. */
  readonly blockAfter: number;
  readonly windowMs: number;
  readonly maxTrackedSources: number;
}

export class ScannerGuard {
  private readonly matchTimes: LRUCache<string, number[]>;

  constructor(
    private matcher: SignatureMatcher,
    private options: ScannerGuardOptions,
  ) {
    this.matchTimes = new LRUCache({ max: options.maxTrackedSources });
  }

  /** New rules or thresholds (config reload); match counts are kept. */
  reconfigure(matcher: SignatureMatcher, options: Omit<ScannerGuardOptions, 'maxTrackedSources'>): void {
    this.matcher = matcher;
    this.options = { ...this.options, ...options };
  }

  check(view: SipRequestView, now: number): (SignatureHit & { readonly shouldBlock: boolean }) | null {
    const hit = this.matcher.match(view);
    if (!hit) return null;
    const { blockAfter, windowMs } = this.options;
    if (blockAfter <= 1) return { ...hit, shouldBlock: true };
    const times = (this.matchTimes.get(view.sourceIp) ?? []).filter((at) => at > now - windowMs);
    times.push(now);
    if (times.length > blockAfter) times.splice(0, times.length - blockAfter);
    this.matchTimes.set(view.sourceIp, times);
    return { ...hit, shouldBlock: times.length >= blockAfter };
  }
}
