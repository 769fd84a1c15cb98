/**
 * Learns agent presence from what crosses the edge: a 2xx to a REGISTER registers the agent's
 * contact (until it expires; Expires 0 unregisters), a BYE ends the call of both parties.
 */
import type { OutcomeObserver } from '../edge.js';
import type { SipRequestView } from '../request.js';
import type { ForwardOutcome, ForwardVerdict } from '../verdict.js';
import type { AgentPresence } from './agent-presence.js';

/** Seconds a REGISTER asks for: the Contact's expires parameter, else the Expires header, else the default. */
export function requestedExpiry(view: SipRequestView, fallback: number): number {
  const fromContact = /;\s*expires\s*=\s*(\d+)/i.exec(view.contact ?? '')?.[1];
  const fromHeader = /^\s*(\d+)/.exec(view.headers.get('expires') ?? '')?.[1];
  const value = fromContact ?? fromHeader;
  return value === undefined ? fallback : Number(value);
}

/** The URI inside a Contact value (<sip:...> or a bare URI), or null for "*" and garbage. */
export function contactUri(contact: string | null): string | null {
  if (contact === null) return null;
  const angle = /<([^>]+)>/.exec(contact)?.[1];
  const bare = angle ?? contact.split(/[;,]/)[0]?.trim();
  return bare !== undefined && /^sips?:/i.test(bare) ? bare : null;
}

export class PresenceObserver implements OutcomeObserver {
  constructor(
    private readonly presence: () => AgentPresence,
    private readonly defaultExpirySeconds: number,
  ) {}

  observe(view: SipRequestView, _verdict: ForwardVerdict, outcome: ForwardOutcome): void {
    if (outcome.finalStatus < 200 || outcome.finalStatus >= 300) return;
    if (view.method === 'REGISTER') {
      const extension = view.to.uri?.user;
      if (!extension) return;
      const expiry = requestedExpiry(view, this.defaultExpirySeconds);
      const contact = contactUri(view.contact);
      if (expiry === 0 || contact === null) this.presence().unregistered(extension, contact ?? undefined);
      else this.presence().registered(extension, contact, outcome.completedAt + expiry * 1000);
    } else if (view.method === 'BYE') {
      for (const party of [view.from.uri?.user, view.to.uri?.user]) {
        if (party) this.presence().callEnded(party, outcome.completedAt, view.callId);
      }
    }
  }
}
