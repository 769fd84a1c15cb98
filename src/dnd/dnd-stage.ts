/**
 * The DND call stage: a new INVITE whose Request-URI names an extension in Do-Not-Disturb is
 * answered here (486 by default, Retry-After until DND ends), so neither the PBX nor the phone
 * sees it. Pure: the decision comes from DndService at the request's time.
 */
import type { CallStage } from '../edge.js';
import type { SipRequestView } from '../request.js';
import type { Verdict } from '../verdict.js';
import type { DndDecision, DndService } from './dnd-service.js';
import type { ExtensionMatcher } from './extension-matcher.js';
import { dndRejectVerdict } from './sip-answer.js';

export type DndDecisionListener = (view: SipRequestView, extension: string, decision: DndDecision) => void;

export class DndStage implements CallStage {
  readonly name = 'dnd';

  constructor(
    private readonly source: { readonly service: DndService; readonly extensions: ExtensionMatcher },
    private readonly onDecision: DndDecisionListener,
  ) {}

  decideInvite(view: SipRequestView, now: number): Verdict | null {
    const extension = this.source.extensions.extensionOf(view.requestUri);
    if (extension === null) return null;
    const caller = [view.from.uri?.user ?? null, view.from.uri?.raw ?? null, view.headers.get('p-asserted-identity') ?? null];
    const decision = this.source.service.decideInvite(extension, caller, now, false);
    if (decision === null) return null;
    this.onDecision(view, extension, decision);
    return dndRejectVerdict(decision);
  }
}
