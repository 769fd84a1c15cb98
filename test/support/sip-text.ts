/** Just enough SIP text handling for test doubles: split a message, read and edit headers. Test code only. */

export interface SipText {
  readonly startLine: string;
  /** Header lines in order, as [name, value]. Folded lines are unfolded. */
  readonly headers: Array<[string, string]>;
  readonly body: string;
}

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type', k: 'supported', s: 'subject', e: 'content-encoding' };

export function splitSip(raw: string): SipText {
  const normal = raw.replace(/\r?\n/g, '\r\n');
  const end = normal.indexOf('\r\n\r\n');
  const head = end < 0 ? normal : normal.slice(0, end);
  const body = end < 0 ? '' : normal.slice(end + 4);
  const lines = head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
  const startLine = lines.shift() ?? '';
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers, body };
}

export function headerName(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** The first value of a header (any form of its name), or undefined. */
export function getHeader(message: SipText, name: string): string | undefined {
  const wanted = headerName(name);
  return message.headers.find(([n]) => headerName(n) === wanted)?.[1];
}

export function allHeaders(message: SipText, name: string): string[] {
  const wanted = headerName(name);
  return message.headers.filter(([n]) => headerName(n) === wanted).map(([, v]) => v);
}

export function joinSip(message: SipText): string {
  const headers = message.headers.filter(([n]) => headerName(n) !== 'content-length');
  return [message.startLine, ...headers.map(([n, v]) => `${n}: ${v}`), `Content-Length: ${Buffer.byteLength(message.body)}`, '', message.body].join('\r\n');
}

export function statusOf(raw: string): { status: number; reason: string } | null {
  const match = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(splitSip(raw).startLine);
  if (!match?.[1]) return null;
  return { status: Number(match[1]), reason: match[2] ?? '' };
}

/** name=value parameters of an auth header (values may be quoted). */
export function authParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const m of value.matchAll(/([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    if (m[1]) params.set(m[1].toLowerCase(), m[2] ?? m[3] ?? '');
  }
  return params;
}

export function randomToken(): string {
  return Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
}
