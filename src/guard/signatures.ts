/**
 * Scanner signatures: rules over the User-Agent, From/To user and host, Contact, the
 * Request-URI user or any other header. A match rejects the request; the source is blocked at
 * once or after N matches within a window.
 */
import { LRUCache } from 'lru-cache';
import type { SipRequestView } from '../request.js';

/** Which part of the request a rule looks at; `header:<name>` is any other header (name case-insensitive). */
export type SignatureField = 'user-agent' | 'from-user' | 'from-host' | 'to-user' | 'to-host' | 'request-uri-user' | 'contact' | `header:${string}`;
/** contains/equals: plain text; word: bounded by non-alphanumerics; regex: a JavaScript regular expression. */
export type SignatureMatch = 'contains' | 'equals' | 'word' | 'regex';

/** One scanner signature. Case-insensitive unless caseSensitive is true. */
export interface SignatureRule {
  readonly name: string;
  readonly header: SignatureField;
  readonly match: SignatureMatch;
  readonly pattern: string;
  readonly caseSensitive?: boolean;
  readonly enabled: boolean;
  readonly description?: string;
}

/** A rule that matched, and the value it matched. */
export interface SignatureHit {
  readonly rule: SignatureRule;
  /** The value that matched. */
  readonly matches: string;
}

interface CompiledRule {
  readonly rule: SignatureRule;
  readonly value: (view: SipRequestView) => string | null;
  readonly test: (value: string) => boolean;
}

type Tester = (value: string) => boolean;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(rule: SignatureRule): CompiledRule {
  return { rule, value: fieldReader(rule.header), test: tester(rule) };
}

function tester(rule: SignatureRule): Tester {
  const sensitive = rule.caseSensitive === true;
  const fold = (v: string): string => (sensitive ? v : v.toLowerCase());
  switch (rule.match) {
    case 'contains': {
      const needle = fold(rule.pattern);
      return (v) => fold(v).includes(needle);
    }
    case 'equals': {
      const needle = fold(rule.pattern.trim());
      return (v) => fold(v.trim()) === needle;
    }
    case 'word': {
      const re = new RegExp(`(?:^|[^A-Za-z0-9])${escapeRegExp(rule.pattern)}(?:$|[^A-Za-z0-9])`, sensitive ? '' : 'i');
      return (v) => re.test(v);
    }
    case 'regex': {
      let re: RegExp;
      try {
        re = new RegExp(rule.pattern, sensitive ? '' : 'i');
      } catch (err) {
        throw new Error(`scanner rule "${rule.name}": invalid regular expression: ${(err as Error).message}`);
      }
      return (v) => re.test(v);
    }
  }
}

function fieldReader(field: SignatureField): (view: SipRequestView) => string | null {
  switch (field) {
    case 'user-agent':
      return (view) => view.userAgent;
    case 'from-user':
      return (view) => view.from.uri?.user ?? null;
    case 'from-host':
      return (view) => view.from.uri?.host ?? null;
    case 'to-user':
      return (view) => view.to.uri?.user ?? null;
    case 'to-host':
      return (view) => view.to.uri?.host ?? null;
    case 'request-uri-user':
      return (view) => view.requestUri.user;
    case 'contact':
      return (view) => view.contact;
    default: {
      const name = field.slice('header:'.length).toLowerCase();
      return (view) => view.headers.get(name) ?? null;
    }
  }
}

/** A fixed set of rules, compiled once; the first enabled rule that matches wins. */
export class SignatureMatcher {
  private readonly compiled: readonly CompiledRule[];

  /** Throws, naming the rule, when a regular expression does not compile (disabled rules are checked too). */
  constructor(readonly rules: readonly SignatureRule[]) {
    this.compiled = rules.map(compile).filter((c) => c.rule.enabled);
  }

  /** The first enabled rule matching the request, with the value it matched; null when none does. */
  match(view: SipRequestView): SignatureHit | null {
    for (const { rule, value: read, test } of this.compiled) {
      const value = read(view);
      if (value !== null && test(value)) return { rule, matches: value };
    }
    return null;
  }
}

/** When a source that matches signatures gets blocked. */
export interface ScannerGuardOptions {
  /** Matches from one source (within windowMs) before it is blocked; 1 = at once. */
  readonly blockAfter: number;
  readonly windowMs: number;
  /** Sources whose matches are counted at most (LRU). */
  readonly maxTrackedSources: number;
}

/** Signature matching plus per-source match counting: reject every match, block after blockAfter matches. */
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

  /** The matching rule and whether the source should now be blocked; null when no rule matches. */
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
