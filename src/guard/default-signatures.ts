/**
 * The built-in scanner signatures, one per row of the scanner signature list
 * (shared/testdata/scanner-signatures.tsv; a unit test keeps the two equal). Each description
 * keeps the row's note and where the signature was seen.
 * sipsak is also a legitimate admin tool: its rule is off unless enabled by name.
 */
import type { SignatureRule } from './signatures.js';

/** "note. Seen in: where." from a row of the list. */
function describe(seenIn: string, note = ''): string {
  return note === '' ? `Seen in: ${seenIn}.` : `${note}. Seen in: ${seenIn}.`;
}

const ua = (name: string, pattern: string, seenIn: string, note = '', extra: Partial<SignatureRule> = {}): SignatureRule => ({
  name: `ua-${name}`,
  header: 'user-agent',
  match: 'contains',
  pattern,
  enabled: true,
  description: describe(seenIn, note),
  ...extra,
});

const KAMAILIO = 'Kamailio stock config';
const IPTABLES = 'common iptables recipes';
const HARDENING = 'sip-hardening lists';

/** The defaults, in the order of the list; scanners.disabled_rules / enabled_rules switch them by name. */
export const DEFAULT_SIGNATURES: readonly SignatureRule[] = [
  ua('friendly-scanner', 'friendly-scanner', `${KAMAILIO}; drachtio-server spammers list; FusionPBX firewall rules`, 'SIPVicious default'),
  ua('sipvicious', 'sipvicious', KAMAILIO),
  ua('sipcli', 'sipcli', `${KAMAILIO}; drachtio-server; FusionPBX`, 'seen as sipcli/v1.8, sipcli/v2.2'),
  ua('sip-cli', 'sip-cli', 'drachtio-server spammers list'),
  ua('vaxsipuseragent', 'VaxSIPUserAgent', `${KAMAILIO}; FusionPBX`),
  ua('vaxipuseragent', 'VaxIPUserAgent', 'FusionPBX'),
  ua('pplsip', 'pplsip', `${KAMAILIO}; FusionPBX; secfilter example`),
  ua('sip-scan', 'sip-scan', IPTABLES),
  ua('sundayddr', 'sundayddr', IPTABLES),
  ua('iwar', 'iWar', IPTABLES),
  ua('sivus', 'SIVuS', HARDENING),
  ua('smap', 'smap', HARDENING, 'short token: match as a word', { match: 'word' }),
  ua('siparmyknife', 'siparmyknife', HARDENING),
  ua('nmap-nse', 'Nmap NSE', 'iptables snippets'),
  ua('sipsak', 'sipsak', 'honeypot signatures', 'also a legitimate admin tool: off unless enabled (scanners.enabled_rules: [ua-sipsak])', { enabled: false }),
  { name: 'to-user-sipvicious', header: 'to-user', match: 'equals', pattern: 'sipvicious', enabled: true, description: describe('drachtio-server spammers list') },
  { name: 'from-host-sipvicious-default', header: 'from-host', match: 'equals', pattern: '1.1.1.1', enabled: true, description: describe('SIPVicious default From') },
  { name: 'contact-none', header: 'contact', match: 'equals', pattern: 'None', enabled: true, description: describe('SIPVicious REGISTER', 'drachtio-server rejects it with 400 itself') },
];
