/**
 * Turn a DND decision into the edge's RejectVerdict (cause 'dnd'), Retry-After included.
 * The SIP layer only calls this for new, out-of-dialog INVITEs: re-INVITEs must never be rejected.
 */
import type { RejectVerdict } from '../verdict.js';
import type { DndDecision } from './dnd-service.js';

export function dndRejectVerdict(decision: DndDecision): RejectVerdict {
  return {
    kind: 'reject',
    cause: 'dnd',
    status: decision.status,
    reason: decision.reason,
    headers: decision.retryAfterSeconds !== undefined ? { 'Retry-After': String(decision.retryAfterSeconds) } : {},
  };
}
