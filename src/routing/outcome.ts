/**
 * What an agent's final SIP answer to a queue call means for the agent's availability.
 *
 *   status            outcome       presence event
 *   2xx               answered      callStarted (calls taken +1, no-answer count reset, hold-back cleared)
 *   486, 600          busy          ringFailed busy        (busyDelaySeconds)
 *   603               rejected      ringFailed rejected    (rejectDelaySeconds)
 *   408, 480, 487     no-answer     ringFailed no-answer   (noAnswerDelaySeconds; counts toward maxNoAnswer)
 *   404, 410, 484,
 *   5xx, 604          unreachable   ringFailed unreachable (unreachableDelaySeconds; does not count toward pausing)
 *   other 4xx / 6xx   rejected      ringFailed rejected    (e.g. 403, 488: the agent's side refused the call)
 *   401, 407, 1xx, 3xx ignored      none (authentication between hops, provisional, redirect)
 *   null              not-tried     none (verdict.ts: null = this target was never tried), reservation released
 *
 * 408 is what the proxy reports when the ring timeout expired (verdict.ts TargetOutcome); 487 is what a ringing
 * branch answers to the proxy's CANCEL — after a ring timeout that is a no-answer. But when the *caller* hung up
 * while the agent was ringing, the agent did nothing wrong: RecordOutcomeOptions.callerAbandoned turns the last
 * tried attempt's no-answer into 'abandoned' (reservation released, no penalty).
 */
import type { ForwardOutcome } from '../verdict.js';
import type { RingFailure } from './agent-presence.js';

export type AttemptOutcome = 'answered' | RingFailure | 'abandoned' | 'not-tried' | 'ignored';

export function classifyAttemptStatus(status: number | null): AttemptOutcome {
  if (status === null) return 'not-tried';
  if (!Number.isInteger(status) || status < 100 || status > 699) return 'ignored';
  if (status < 200) return 'ignored';
  if (status < 300) return 'answered';
  if (status < 400) return 'ignored';
  switch (status) {
    case 401:
    case 407:
      return 'ignored';
    case 486:
    case 600:
      return 'busy';
    case 603:
      return 'rejected';
    case 408:
    case 480:
    case 487:
      return 'no-answer';
    case 404:
    case 410:
    case 484:
    case 604:
      return 'unreachable';
  }
  if (status >= 500 && status < 600) return 'unreachable';
  return 'rejected';
}

/** One ring attempt of a queue call, as recordOutcome takes it. */
export interface QueueAttempt {
  readonly extension: string;
  /** Final status from the agent; 408 when the ring timed out; null when never tried. */
  readonly status: number | null;
}

/** The agent attempts of a carried-out forward verdict (targets without an `agent` are skipped). */
export function attemptsFromForwardOutcome(outcome: ForwardOutcome): QueueAttempt[] {
  const attempts: QueueAttempt[] = [];
  for (const a of outcome.attempts) {
    if (a.target.agent !== undefined) attempts.push({ extension: a.target.agent, status: a.status });
  }
  return attempts;
}
