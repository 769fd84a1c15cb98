/**
 * The queue call stage: a new INVITE to a queue number is forwarded to the ranked agents one
 * after another (serial forking, per-agent ring timeout), or refused with the queue's status
 * when nobody can take it. The final outcome updates the agents' availability.
 */
import { LRUCache } from 'lru-cache';
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
  /** Call-ID -> the agent who answered it, until the call ends (bounded: a lost end is forgotten eventually). */
  private readonly answeredBy = new LRUCache<string, string>({ max: 50_000 });

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
    const answered = recorded.find((a) => a.outcome === 'answered');
    if (answered) this.answeredBy.set(view.callId, answered.extension);
    this.listener.completed(view, verdict.queue, outcome, recorded);
  }

  /** The queue call ended: its agent leaves the call (and starts wrap-up). */
  callEnded(callId: string, at: number): void {
    const agent = this.answeredBy.get(callId);
    if (agent === undefined) return;
    this.answeredBy.delete(callId);
    this.routing().presence.callEnded(agent, at, callId);
  }
}
