/**
 * The built-in scanner signatures, one per row of the scanner signature list
 * (shared/testdata/scanner-signatures.tsv; a unit test keeps the two equal).
 * sipsak is also a legitimate admin tool: its rule is off unless enabled by name.
 */
import type { SignatureRule } from './signatures.js';

const ua = (name: string, pattern: string, description: string, extra: Partial<SignatureRule> = {}): SignatureRule => ({
  name: `ua-${name}`,
  header: 'user-agent',
  match: 'contains',
  pattern,
  enabled: true,
  description,
  ...extra,
});

export const DEFAULT_SIGNATURES: readonly SignatureRule[] = [
  ua('friendly-scanner', 'friendly-scanner', 'SIPVicious default User-Agent'),
  ua('sipvicious', 'sipvicious', 'SIPVicious'),
  ua('sipcli', 'sipcli', 'sipcli (seen as sipcli/v1.8, sipcli/v2.2)'),
  ua('sip-cli', 'sip-cli', 'sip-cli'),
  ua('vaxsipuseragent', 'VaxSIPUserAgent', 'VaxSIPUserAgent'),
  ua('vaxipuseragent', 'VaxIPUserAgent', 'VaxIPUserAgent'),
  ua('pplsip', 'pplsip', 'pplsip'),
  ua('sip-scan', 'sip-scan', 'sip-scan'),
  ua('sundayddr', 'sundayddr', 'sundayddr'),
  ua('iwar', 'iWar', 'iWar war dialer'),
  ua('sivus', 'SIVuS', 'SIVuS scanner'),
  ua('smap', 'smap', 'smap (a short token: matched as a word)', { match: 'word' }),
  ua('siparmyknife', 'siparmyknife', 'siparmyknife'),
  ua('nmap-nse', 'Nmap NSE', 'Nmap NSE scripts'),
  ua('sipsak', 'sipsak', 'sipsak: also a legitimate admin tool, off unless enabled (scanners.enabled_rules: [ua-sipsak])', { enabled: false }),
  { name: 'to-user-sipvicious', header: 'to-user', match: 'equals', pattern: 'sipvicious', enabled: true, description: 'SIPVicious To user' },
  { name: 'from-host-sipvicious-default', header: 'from-host', match: 'equals', pattern: '1.1.1.1', enabled: true, description: 'SIPVicious default From host' },
  { name: 'contact-none', header: 'contact', match: 'equals', pattern: 'None', enabled: true, description: 'SIPVicious REGISTER Contact: None' },
];
