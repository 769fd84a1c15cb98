import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SIGNATURES } from '../../../src/guard/default-signatures.js';
import { ScannerGuard, SignatureMatcher, type SignatureRule } from '../../../src/guard/signatures.js';
import { view } from './view.js';

const TSV = new URL('../../../../shared/testdata/scanner-signatures.tsv', import.meta.url);
/** Each (field, match) of the list as the rule header and match kind it becomes. */
const KIND: Record<string, Record<string, Pick<SignatureRule, 'header' | 'match'>>> = {
  'User-Agent': { contains: { header: 'user-agent', match: 'contains' } },
  To: { 'user-equals': { header: 'to-user', match: 'equals' } },
  From: { 'host-equals': { header: 'from-host', match: 'equals' } },
  Contact: { equals: { header: 'contact', match: 'equals' } },
};

describe('default signatures', () => {
  const rows = readFileSync(TSV, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t'));

  it('has one equivalent rule for every row of the scanner signature list, in its order', () => {
    expect(rows.length).toBeGreaterThan(10);
    expect(DEFAULT_SIGNATURES).toHaveLength(rows.length);
    rows.forEach(([field = '', match = '', value = '', seenIn = '', note = ''], i) => {
      const kind = KIND[field]?.[match];
      expect(kind, `${field} ${match}`).toBeDefined();
      const rule = DEFAULT_SIGNATURES[i];
      const what = `row ${i + 1}: ${field} ${match} ${value}`;
      expect(rule?.header, what).toBe(kind?.header);
      expect(rule?.pattern, what).toBe(value);
      // A note asking for a word match or calling the tool legitimate changes the rule.
      expect(rule?.match, what).toBe(/\bword\b/.test(note) ? 'word' : kind?.match);
      expect(rule?.enabled, what).toBe(!/legitimate/.test(note));
      expect(rule?.description, what).toContain(seenIn);
      if (note !== '') expect(rule?.description, what).toContain(note.split(':')[0]);
    });
  });

  it('names every rule once, in kebab-case', () => {
    const names = DEFAULT_SIGNATURES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]+(?:-[a-z0-9.]+)*$/);
    expect(names).toEqual(expect.arrayContaining(['ua-friendly-scanner', 'ua-sipvicious', 'ua-smap', 'ua-sipsak', 'to-user-sipvicious', 'from-host-sipvicious-default', 'contact-none']));
  });

  it('every enabled rule catches a request carrying its value', () => {
    const matcher = new SignatureMatcher(DEFAULT_SIGNATURES);
    for (const rule of DEFAULT_SIGNATURES.filter((r) => r.enabled)) {
      const request =
        rule.header === 'user-agent'
          ? view({ ua: `${rule.pattern} 1.2` })
          : rule.header === 'to-user'
            ? view({ toUser: rule.pattern })
            : rule.header === 'from-host'
              ? view({ fromHost: rule.pattern })
              : view({ contact: rule.pattern });
      expect(matcher.match(request)?.rule.name, rule.name).toBe(rule.name);
    }
  });

  it('leaves ordinary phones alone, and sipsak is off by default', () => {
    const matcher = new SignatureMatcher(DEFAULT_SIGNATURES);
    for (const ua of ['Yealink SIP-T46S 66.86.0.15', 'Zoiper rv2.10', 'Asterisk PBX 20.5', 'Linphone/5.2', 'Bismapper 1.0']) expect(matcher.match(view({ ua }))).toBeNull();
    expect(matcher.match(view({ ua: 'sipsak 0.9.8' }))).toBeNull();
    expect(matcher.match(view({ ua: 'smap 0.6.0' }))?.rule.name).toBe('ua-smap');
    expect(matcher.match(view({ ua: 'SIPVicious-0.3' }))?.rule.name).toBe('ua-sipvicious');
  });

  it('catches a sipvicious-like request (svmap defaults) with the From host, To user and Contact rules alone', () => {
    const matcher = new SignatureMatcher(DEFAULT_SIGNATURES.filter((r) => r.header !== 'user-agent'));
    expect(matcher.match(view({ ua: 'Yealink', fromHost: '1.1.1.1' }))?.rule.name).toBe('from-host-sipvicious-default');
    expect(matcher.match(view({ ua: 'Yealink', toUser: 'sipvicious' }))?.rule.name).toBe('to-user-sipvicious');
    expect(matcher.match(view({ ua: 'Yealink', contact: 'None' }))?.rule.name).toBe('contact-none');
  });

  it('matches smap as a word only', () => {
    const matcher = new SignatureMatcher(DEFAULT_SIGNATURES);
    for (const ua of ['smap 0.6', 'smap', 'x/smap-1']) expect(matcher.match(view({ ua }))?.rule.name, ua).toBe('ua-smap');
    for (const ua of ['bismapper', 'smapper 1', 'xsmap']) expect(matcher.match(view({ ua })), ua).toBeNull();
  });

  it('sipsak matches once enabled', () => {
    const rules = DEFAULT_SIGNATURES.map((r) => (r.name === 'ua-sipsak' ? { ...r, enabled: true } : r));
    expect(new SignatureMatcher(rules).match(view({ ua: 'sipsak 0.9.8' }))?.rule.name).toBe('ua-sipsak');
  });
});

describe('custom rules', () => {
  it('matches regex and other headers; a broken regex is refused by name', () => {
    const matcher = new SignatureMatcher([
      { name: 'x-scan', header: 'header:X-Scanner', match: 'contains', pattern: 'yes', enabled: true },
      { name: 'ua-re', header: 'user-agent', match: 'regex', pattern: '^evil/\\d+$', enabled: true },
      { name: 'case', header: 'user-agent', match: 'equals', pattern: 'Exact', caseSensitive: true, enabled: true },
    ]);
    expect(matcher.match(view({ headers: { 'X-Scanner': 'yes please' } }))?.rule.name).toBe('x-scan');
    expect(matcher.match(view({ ua: 'Evil/42' }))?.rule.name).toBe('ua-re');
    expect(matcher.match(view({ ua: 'exact' }))).toBeNull();
    expect(matcher.match(view({ ua: 'Exact' }))?.rule.name).toBe('case');
    expect(() => new SignatureMatcher([{ name: 'bad', header: 'user-agent', match: 'regex', pattern: '(', enabled: true }])).toThrow(/scanner rule "bad": invalid regular expression/);
    expect(() => new SignatureMatcher([{ name: 'off', header: 'user-agent', match: 'regex', pattern: '[', enabled: false }])).toThrow(/scanner rule "off"/);
  });
});

describe('ScannerGuard', () => {
  it('blocks at the first match when blockAfter is 1', () => {
    const guard = new ScannerGuard(new SignatureMatcher(DEFAULT_SIGNATURES), { blockAfter: 1, windowMs: 1000, maxTrackedSources: 10 });
    expect(guard.check(view({ ua: 'friendly-scanner' }), 0)).toMatchObject({ shouldBlock: true, matches: 'friendly-scanner', rule: { name: 'ua-friendly-scanner' } });
  });

  it('blocks after N matches within the window', () => {
    const guard = new ScannerGuard(new SignatureMatcher(DEFAULT_SIGNATURES), { blockAfter: 3, windowMs: 1000, maxTrackedSources: 10 });
    const scan = (at: number) => guard.check(view({ ua: 'friendly-scanner', ip: '192.0.2.66' }), at);
    expect(scan(0)?.shouldBlock).toBe(false);
    expect(scan(10)?.shouldBlock).toBe(false);
    expect(scan(2000)?.shouldBlock).toBe(false);
    expect(scan(2001)?.shouldBlock).toBe(false);
    expect(scan(2002)?.shouldBlock).toBe(true);
    expect(guard.check(view({ ip: '192.0.2.66' }), 2003)).toBeNull();
  });
});
