import { describe, expect, it } from 'vitest';
import { CallerExceptionMatcher, normalizeCallerIdentity, validateCallerException } from '../../../src/dnd/exceptions.js';
import { DndValidationError } from '../../../src/dnd/types.js';

describe('normalizeCallerIdentity', () => {
  it('strips URIs, visual separators and case', () => {
    expect(normalizeCallerIdentity('  +49 (30) 123-45.6 ')).toBe('+4930123456');
    expect(normalizeCallerIdentity('sip:+4930123@pbx.example.com;user=phone')).toBe('+4930123');
    expect(normalizeCallerIdentity('tel:+1-212-555-0100')).toBe('+12125550100');
    expect(normalizeCallerIdentity('Boss')).toBe('boss');
    expect(normalizeCallerIdentity('alice%40home')).toBe('alice@home');
  });
});

describe('validateCallerException', () => {
  it('detects the pattern kind from its text', () => {
    expect(validateCallerException({ id: 'e1', extension: null, pattern: '911' })).toMatchObject({ kind: 'exact', value: '911', pattern: '911' });
    expect(validateCallerException({ id: 'e2', extension: '1001', pattern: '+49 30*' })).toMatchObject({ kind: 'prefix', value: '+4930', pattern: '+4930*' });
    expect(validateCallerException({ id: 'e3', extension: null, pattern: '/^\\+1212555/' })).toMatchObject({ kind: 'regex', value: '^\\+1212555', flags: '' });
    expect(validateCallerException({ id: 'e4', extension: null, pattern: '/boss/i' })).toMatchObject({ kind: 'regex', flags: 'i', pattern: '/boss/i' });
    expect(validateCallerException({ id: 'e5', extension: null, pattern: '5*', kind: 'exact' })).toMatchObject({ kind: 'exact', value: '5*' });
  });

  it('a stored exception validates back to itself (all kinds)', () => {
    for (const input of [
      { id: 'a', extension: null, pattern: '911' },
      { id: 'b', extension: '1001', pattern: '+4930*' },
      { id: 'c', extension: null, pattern: '/^boss/i' },
      { id: 'd', extension: null, pattern: '5*', kind: 'exact' as const },
    ]) {
      const stored = validateCallerException(input);
      expect(validateCallerException(JSON.parse(JSON.stringify(stored)))).toEqual(stored);
    }
  });

  it('refuses empty prefixes, invalid and dangerous regexes, naming the field', () => {
    const fail = (input: unknown): string[] => {
      try {
        validateCallerException(input);
        return [];
      } catch (err) {
        expect(err).toBeInstanceOf(DndValidationError);
        return (err as DndValidationError).issues.map((i) => `${i.field}: ${i.message}`);
      }
    };
    expect(fail({ id: 'x', extension: null, pattern: '*' })).toEqual([expect.stringMatching(/^pattern: a prefix must not be empty/)]);
    expect(fail({ id: 'x', extension: null, pattern: '/(unclosed/' })).toEqual([expect.stringMatching(/^pattern: invalid regular expression/)]);
    expect(fail({ id: 'x', extension: null, pattern: '/^(\\d+)+$/' })).toEqual([expect.stringMatching(/^pattern: nested quantifiers/)]);
    expect(fail({ id: 'x', extension: null, pattern: '/.*/' })).toEqual([expect.stringMatching(/^pattern: the regex matches an empty caller/)]);
    expect(fail({ id: '', extension: 'has space', pattern: '' })).toEqual([
      expect.stringMatching(/^id: /),
      expect.stringMatching(/^extension: /),
      expect.stringMatching(/^pattern: /),
    ]);
  });
});

describe('CallerExceptionMatcher', () => {
  const matcher = new CallerExceptionMatcher([
    validateCallerException({ id: 'emergency', extension: null, pattern: '911' }),
    validateCallerException({ id: 'berlin', extension: '1001', pattern: '+4930*' }),
    validateCallerException({ id: 'boss', extension: '1002', pattern: '/^boss(-mobile)?$/i' }),
  ]);

  it('matches exact, prefix and regex patterns, global and per extension', () => {
    expect(matcher.match('1001', '911')?.id).toBe('emergency');
    expect(matcher.match('1002', 'sip:911@psap.example')?.id).toBe('emergency');
    expect(matcher.match('1001', '+49 30 1234567')?.id).toBe('berlin');
    expect(matcher.match('1002', '+49301234567')).toBeNull(); // prefix only for 1001
    expect(matcher.match('1002', 'Boss-Mobile')?.id).toBe('boss');
    expect(matcher.match('1001', 'boss')).toBeNull();
    expect(matcher.match('1001', '9110')).toBeNull(); // exact is exact
  });

  it('any trusted identity may match (From user or P-Asserted-Identity)', () => {
    expect(matcher.match('1001', ['anonymous', '+4930555'])?.id).toBe('berlin');
    expect(matcher.match('1001', [null, undefined, ''])).toBeNull();
    expect(matcher.match('1001', null)).toBeNull();
  });
});
