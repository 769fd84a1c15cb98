/**
 * Turning a route() result into the edge's Verdict (the SIP wiring decides how an agent is addressed).
 *
 *   agents to try  → forward, cause "queue", targets best first (serial forking), the queue's ring timeout;
 *   nobody         → reject with the queue's noAgentStatus (480 Temporarily Unavailable / 486 Busy Here),
 *                    cause "queue-unavailable". Never 603: it would cancel the other branches of a fork.
 */
import type { ForwardTarget, RejectVerdict, Verdict } from '../verdict.js';
import type { RankedAgent } from './ranker.js';
import type { RouteResult } from './routing-service.js';
import type { NoAgentStatus } from './types.js';

export const NO_AGENT_REASONS: Readonly<Record<NoAgentStatus, string>> = {
  480: 'Temporarily Unavailable',
  486: 'Busy Here',
};

/**
 * @param uriFor the SIP URI to reach an agent, e.g. `(a) => a.contact ?? \`sip:${a.extension}@pbx.example\``.
 * @param headers extra headers for the rejection (e.g. Retry-After).
 */
export function queueVerdict(
  result: RouteResult,
  uriFor: (agent: RankedAgent) => string,
  headers: Readonly<Record<string, string>> = {},
): Verdict {
  if (result.ranked.length === 0) {
    const status = result.noAgentStatus ?? result.queue.noAgentStatus;
    const reject: RejectVerdict = { kind: 'reject', cause: 'queue-unavailable', status, reason: NO_AGENT_REASONS[status], headers };
    return reject;
  }
  const targets: ForwardTarget[] = result.ranked.map((a) => ({ uri: uriFor(a), agent: a.extension }));
  return { kind: 'forward', cause: 'queue', targets, ringTimeoutSeconds: result.queue.ringTimeoutSeconds, queue: result.queue.number };
}
