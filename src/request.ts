/**
 * The typed, immutable view of one SIP request that the core decides on.
 * Built once by src/sip/ from the drachtio request; nothing in the core sees drachtio types.
 */
export type Transport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' | 'sctp';

export interface SipUriView {
  /** The URI as received (no angle brackets). */
  readonly raw: string;
  /** Lower-cased scheme: sip, sips, tel, or whatever was received. */
  readonly scheme: string;
  /** User part, unescaped; null when absent. */
  readonly user: string | null;
  /** Host part, lower-cased; empty string when the URI has none (tel:, unknown schemes). */
  readonly host: string;
  readonly port: number | null;
}

export interface NameAddrView {
  readonly uri: SipUriView | null;
  readonly displayName: string | null;
  readonly tag: string | null;
}

export interface CredentialsView {
  /** Which header carried them. */
  readonly header: 'authorization' | 'proxy-authorization';
  /** Lower-cased scheme, usually "digest". */
  readonly scheme: string;
  /** The username parameter, when present. */
  readonly username: string | null;
  readonly realm: string | null;
}

export interface SipRequestView {
  readonly method: string;
  /** Normalised source address (IPv4 dotted quad, IPv6 in RFC 5952 form; IPv4-mapped IPv6 unwrapped). */
  readonly sourceIp: string;
  readonly sourcePort: number;
  readonly transport: Transport;
  readonly requestUri: SipUriView;
  readonly from: NameAddrView;
  readonly to: NameAddrView;
  readonly callId: string;
  readonly cseq: number | null;
  readonly userAgent: string | null;
  /** Raw Contact header value(s) joined by ", ", or null. */
  readonly contact: string | null;
  /** A request inside a dialog (To tag present). */
  readonly inDialog: boolean;
  readonly credentials: CredentialsView | null;
  /** Every header, name lower-cased, values of repeated headers joined with ", ". For signature rules over other headers. */
  readonly headers: ReadonlyMap<string, string>;
  /** When sipwarden received it (clock ms). */
  readonly receivedAt: number;
}
