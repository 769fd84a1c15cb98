import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SIGNATURES } from '../../../src/guard/default-signatures.js';
import { ScannerGuard, SignatureMatcher, type SignatureRule } from '../../../src/guard/signatures.js';
import { view } from './view.js';

const TSV = new URL('../../../../shared/testdata/scanner-signatures.tsv', import.meta.url);
const FIELD: Record<string, Record<string, SignatureRule['header']>> = {
  'User-Agent': { contains: 'user-agent' },
  To: { 'user-equals': 'to-user' },
  From: { 'host-equals': 'from-host' },
  Contact: { equals: 'contact' },
};

describe('default signatures', () => {
  const rows = readFileSync(TSV, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t'));

  it('has one rule for every row of the scanner signature list', () => {
    expect(rows.length).toBeGreaterThan(10);
    for (const [field = '', match = '', value = ''] of rows) {
      const header = FIELD[field]?.[match];
      expect(header, `${field} ${match}`).toBeDefined();
      const rule = DEFAULT_SIGNATURES.find((r) => r.header === header && r.pattern === value);
      expect(rule, `${field} ${match} ${value}`).toBeDefined();
    }
    expect(DEFAULT_SIGNATURES).toHaveLength(rows.length);
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
  });
});

describe('ScannerGuard', () => {
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
