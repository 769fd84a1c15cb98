/**
 * The dialled user on a forwarded request's destination.
 *
 * drachtio-server replaces a Request-URI that points at itself with the proxy destination, so a
 * destination without a user part (`sip:pbx:5060;transport=udp`) would reach the PBX as a request
 * for nobody: the destination must carry the user that was dialled. Users are kept exactly as they
 * were received (escapes and user parameters included); a target that already names a user is
 * left alone, and so is a Request-URI without a user (a REGISTER to `sip:domain`).
 */

/** The user part of a sip:/sips:/tel: Request-URI as received (still escaped), or null. */
export function dialledUser(requestUri: string): string | null {
  const raw = requestUri.trim().replace(/^<(.*)>$/, '$1');
  const tel = /^tel:([^;?]+)/i.exec(raw);
  if (tel?.[1] !== undefined) return tel[1];
  const sip = /^sips?:(.*)$/i.exec(raw);
  if (sip?.[1] === undefined) return null;
  const beforeHeaders = sip[1].split('?')[0] ?? '';
  const at = beforeHeaders.indexOf('@');
  if (at <= 0) return null;
  // userinfo is user[:password]; the password never goes on.
  const user = beforeHeaders.slice(0, at).split(':')[0] ?? '';
  return user === '' ? null : user;
}

/** `target` with `user` as its user part when it has none; a bare `host[:port][;params]` becomes a sip: URI. */
export function withDialledUser(target: string, user: string | null): string {
  const scheme = /^(sips?):(.*)$/i.exec(target);
  const schemeName = scheme?.[1] ?? 'sip';
  const rest = scheme?.[2] ?? target;
  const beforeHeaders = rest.split('?')[0] ?? '';
  if (beforeHeaders.includes('@')) return target;
  if (user === null) return target;
  return `${schemeName}:${user}@${rest}`;
}
