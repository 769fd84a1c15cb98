/**
 * The queue call stage: a new INVITE to a queue number is forwarded to the ranked agents one
 * after another (serial forking, per-agent ring timeout), or refused with the queue's status
 * when nobody can take it. The final outcome updates the agents' availability.
 */
import type { CallStage } from '../edge.js';
import type { SipRequestView } from '../request.js';
import type { ForwardOutcome, ForwardVerdict, Verdict } from '../verdict.js';
import { attemptsFromForwardOutcome } from './outcome.js';
import { queueVerdict } from './queue-verdict.js';
import type { RankedAgent } from './ranker.js';
import type { RecordedAttempt, RouteResult, RoutingService } from './routing-service.js';

export interface RoutingStageListener {
  routed(view: SipRequestView, result: RouteResult, verdict: Verdict): void;
  completed(view: SipRequestView, queue: string, outcome: ForwardOutcome, recorded: readonly RecordedAttempt[]): void;
}

export class RoutingStage implements CallStage {
  readonly name = 'queue';

  constructor(
    private readonly routing: () => RoutingService,
    private readonly uriFor: (agent: RankedAgent) => string,
    private readonly listener: RoutingStageListener,
  ) {}

  decideInvite(view: SipRequestView, now: number): Verdict | null {
    const number = view.requestUri.user;
    if (number === null) return null;
    const result = this.routing().route(number, now);
    if (result === null) return null;
    const verdict = queueVerdict(result, this.uriFor);
    this.listener.routed(view, result, verdict);
    return verdict;
  }

  observe(view: SipRequestView, verdict: ForwardVerdict, outcome: ForwardOutcome): void {
    if (verdict.queue === undefined) return;
    const recorded = this.routing().recordOutcome(verdict.queue, attemptsFromForwardOutcome(outcome), outcome.completedAt, { callId: view.callId });
    this.listener.completed(view, verdict.queue, outcome, recorded);
  }
}
