import { describe, expect, it } from 'vitest';
import { ExtensionMatcher } from '../../../src/dnd/extension-matcher.js';
import { parseUri } from '../../../src/sip/request-view.js';

const uri = (text: string) => {
  const parsed = parseUri(text);
  if (!parsed) throw new Error(text);
  return parsed;
};

describe('ExtensionMatcher', () => {
  it('matches the user part against the patterns, on any host by default', () => {
    const m = new ExtensionMatcher({ patterns: ['^\\d{3,4}$'], domains: [] });
    expect(m.extensionOf(uri('sip:1002@pbx.example.com'))).toBe('1002');
    expect(m.extensionOf(uri('sip:+4930123456@pbx.example.com'))).toBeNull();
    expect(m.extensionOf(uri('sip:pbx.example.com'))).toBeNull();
    expect(m.extensionOf(uri('tel:1002'))).toBe('1002');
  });

  it('restricts to the configured domains when there are some', () => {
    const m = new ExtensionMatcher({ patterns: ['^\\d+$', '^sales-\\w+$'], domains: ['PBX.example.com'] });
    expect(m.extensionOf(uri('sip:1002@pbx.example.com'))).toBe('1002');
    expect(m.extensionOf(uri('sip:sales-anna@pbx.example.com'))).toBe('sales-anna');
    expect(m.extensionOf(uri('sip:1002@other.example.com'))).toBeNull();
  });
});
