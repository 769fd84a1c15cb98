/**
 * Agent ranking for one queue call: hard filters, then a strict order.
 *
 *   1. Filters. An agent is excluded when presence says it cannot take a call (not registered, paused, in a call
 *      at its limit, ringing, wrap-up, held back), when it is in DND, or when it misses a required skill or is below
 *      a required (possibly relaxed) minimum. Every reason is reported, not just the first.
 *   2. Order. Strictly by score, highest first (scoring.ts). Only agents with *equal* scores are ordered by the
 *      queue's strategy — the score and the fairness key are never added up:
 *        longest-idle  lastCallEndedAt ascending (never had a call first; an agent in a call last), then
 *                      fewer callsTaken, then extension;
 *        fewest-calls  callsTaken ascending, then longest idle, then extension;
 *        round-robin   extensions after the last agent tried for this queue first (extension order, wrapping
 *                      around), see compareExtensions;
 *        random        shuffled with the injected `random` (Fisher-Yates per group of equal scores, groups visited
 *                      from the best score, agents in extension order before shuffling — deterministic for a
 *                      seeded source).
 *   3. Fallback. When no available agent qualifies and queue.fallbackToAny is set, every available agent is ranked
 *      instead, with the same score (unmet required skills earn nothing) and order; fallbackUsed is then true.
 *      Otherwise the ranked list is empty and the caller answers queue.noAgentStatus.
 *
 * The candidates are the keys of `agentSkills`: an extension is an agent of the system by having skills.
 * Pure: no I/O, `now` and `random` are passed in.
 */
import type { AgentPresence, AvailabilityReason } from './agent-presence.js';
import { assessRow, effectiveRequirements, matchedFromRow, nextRelaxationAfter, scoringPlan } from './scoring.js';
import { SkillIndex } from './skill-index.js';
import type { EffectiveRequirement, MatchedSkill, ScoringPlan, SkillShortfall } from './scoring.js';
import { compareExtensions, compareExtensionsKnown, isNumericExtension } from './types.js';
import type { Queue, QueueRequirement, QueueStrategy } from './types.js';

export type DndCheck = (extension: string, now: number) => boolean;

/** What the ranker needs from presence (AgentPresence satisfies it; tests may stub it). */
export type PresenceView = Pick<AgentPresence, 'status' | 'lastPicked'>;

export interface RankedAgent {
  readonly extension: string;
  readonly score: number;
  readonly matchedSkills: readonly MatchedSkill[];
  /** The agent's live registered contact, when presence knows one. */
  readonly contact?: string;
}

export type ExclusionReason = AvailabilityReason | SkillShortfall;

export interface ExcludedAgent {
  readonly extension: string;
  /** Availability reasons first (presence order, "dnd" after registration), then skill shortfalls. */
  readonly reasons: readonly ExclusionReason[];
}

export interface RankResult {
  /** Best first: try them in this order (at most `limit`). */
  readonly ranked: readonly RankedAgent[];
  /** How many agents could take the call (ranked before any limit). */
  readonly candidates: number;
  /** Agents not offered the call, with every reason: unavailable ones first, then available ones that do not qualify (each in candidate order). */
  readonly excluded: readonly ExcludedAgent[];
  /** True when nobody qualified and the queue fell back to any available agent. */
  readonly fallbackUsed: boolean;
  /** The requirements as applied (after relaxation). */
  readonly requirements: readonly EffectiveRequirement[];
  /** When (seconds of waiting) a requirement next relaxes, null when none will. */
  readonly nextRelaxationAfterSeconds: number | null;
}

export interface RankInput {
  readonly queue: Queue;
  /** The queue's requirements (others are ignored). */
  readonly requirements: readonly QueueRequirement[];
  /**
   * Candidate agents: extension → (skill id → proficiency), or the same as a prebuilt SkillIndex (what
   * RoutingService passes, rebuilt only when agent skills change).
   */
  readonly agentSkills: ReadonlyMap<string, ReadonlyMap<string, number>> | SkillIndex;
  readonly presence: PresenceView;
  readonly isInDnd: DndCheck;
  /** ms. */
  readonly now: number;
  /** How long the caller has waited so far (relaxation). */
  readonly waitedSeconds: number;
  /** Uniform in [0, 1); used by the random strategy only. */
  readonly random: () => number;
  /** Overrides presence.lastPicked(queue) for round robin. */
  readonly roundRobinAfter?: string | null;
  /** Keep only the first `limit` ranked agents (e.g. queue.maxAgents); default all. */
  readonly limit?: number;
}

interface Candidate {
  readonly extension: string;
  readonly score: number;
  /** Offset of the agent's row in the proficiency table. */
  readonly row: number;
  readonly contact: string | null;
  /** lastCallEndedAt; -Infinity when never; +Infinity while in a call. */
  readonly idleKey: number;
  readonly callsTaken: number;
  readonly shortfalls: readonly SkillShortfall[];
  /** Sort helpers: all-digit extension; round-robin lap (0 = after the last one tried, 1 = wrapped around). */
  numeric: boolean;
  lap: number;
}

export function rankAgents(input: RankInput): RankResult {
  const { queue, presence, isInDnd, now, waitedSeconds } = input;
  const own = input.requirements.filter((r) => r.queue === queue.number);
  const requirements = effectiveRequirements(own, waitedSeconds);
  const plan = scoringPlan(requirements, queue.proficiencyWeight);

  const qualified: Candidate[] = [];
  const unqualified: Candidate[] = [];
  const excluded: ExcludedAgent[] = [];

  const index = input.agentSkills instanceof SkillIndex ? input.agentSkills : SkillIndex.from(input.agentSkills);
  const table = index.table(requirements);
  const width = requirements.length;
  const extensions = index.extensions;

  for (let a = 0; a < extensions.length; a++) {
    const extension = extensions[a] as string;
    const status = presence.status(extension, now);
    const dnd = isInDnd(extension, now);
    const fit = assessRow(table, a * width, plan);
    if (status.reasons.length > 0 || dnd) {
      excluded.push({ extension, reasons: exclusionReasons(status.reasons, dnd, fit.shortfalls) });
      continue;
    }
    const candidate: Candidate = {
      extension,
      score: fit.score,
      row: a * width,
      contact: status.contact,
      idleKey: status.activeCalls > 0 ? Infinity : (status.lastCallEndedAt ?? -Infinity),
      callsTaken: status.callsTaken,
      shortfalls: fit.shortfalls,
      numeric: false,
      lap: 0,
    };
    (fit.qualified ? qualified : unqualified).push(candidate);
  }

  let chosen = qualified;
  let fallbackUsed = false;
  if (qualified.length === 0 && queue.fallbackToAny && unqualified.length > 0) {
    chosen = unqualified;
    fallbackUsed = true;
  } else {
    for (const c of unqualified) excluded.push({ extension: c.extension, reasons: c.shortfalls });
  }

  const after = input.roundRobinAfter !== undefined ? input.roundRobinAfter : presence.lastPicked(queue.number);
  orderCandidates(chosen, queue.strategy, after, input.random);

  const limit = input.limit === undefined ? chosen.length : Math.max(0, Math.floor(input.limit));
  const ranked: RankedAgent[] = [];
  for (let i = 0; i < chosen.length && i < limit; i++) ranked.push(toRanked(chosen[i] as Candidate, table, plan));
  return {
    ranked,
    candidates: chosen.length,
    excluded,
    fallbackUsed,
    requirements,
    nextRelaxationAfterSeconds: nextRelaxationAfter(own, waitedSeconds),
  };
}

/** The first `n` ranked agents (how many one call tries: queue.maxAgents). */
export function topN(result: RankResult, n: number): RankResult {
  const count = Math.max(0, Math.floor(n));
  return result.ranked.length <= count ? result : { ...result, ranked: result.ranked.slice(0, count) };
}

function toRanked(c: Candidate, table: Uint8Array, plan: ScoringPlan): RankedAgent {
  const matched: readonly MatchedSkill[] = matchedFromRow(table, c.row, plan);
  return c.contact !== null
    ? { extension: c.extension, score: c.score, matchedSkills: matched, contact: c.contact }
    : { extension: c.extension, score: c.score, matchedSkills: matched };
}

/** Registration reasons, then "dnd", then the other availability reasons, then skill shortfalls. */
function exclusionReasons(
  availability: readonly AvailabilityReason[],
  dnd: boolean,
  shortfalls: readonly SkillShortfall[],
): readonly ExclusionReason[] {
  if (!dnd && shortfalls.length === 0) return availability;
  const reasons: ExclusionReason[] = [];
  let i = 0;
  while (i < availability.length && (availability[i] === 'not-registered' || availability[i] === 'registration-expired')) {
    reasons.push(availability[i++] as AvailabilityReason);
  }
  if (dnd) reasons.push('dnd');
  for (; i < availability.length; i++) reasons.push(availability[i] as AvailabilityReason);
  for (const s of shortfalls) reasons.push(s);
  return reasons;
}

function cmpNum(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const byIdle = (a: Candidate, b: Candidate): number => cmpNum(a.idleKey, b.idleKey);
const byCalls = (a: Candidate, b: Candidate): number => cmpNum(a.callsTaken, b.callsTaken);
const byExtension = (a: Candidate, b: Candidate): number => compareExtensionsKnown(a.extension, a.numeric, b.extension, b.numeric);

/** Sorts in place: score descending, then the strategy's fairness order. */
function orderCandidates(list: Candidate[], strategy: QueueStrategy, after: string | null, random: () => number): void {
  for (const c of list) c.numeric = isNumericExtension(c.extension);
  switch (strategy) {
    case 'longest-idle':
      list.sort((a, b) => b.score - a.score || byIdle(a, b) || byCalls(a, b) || byExtension(a, b));
      return;
    case 'fewest-calls':
      list.sort((a, b) => b.score - a.score || byCalls(a, b) || byIdle(a, b) || byExtension(a, b));
      return;
    case 'round-robin': {
      // 0 = comes after the last one tried, 1 = wraps around (including the last one tried itself).
      for (const c of list) c.lap = after === null || compareExtensions(c.extension, after) > 0 ? 0 : 1;
      list.sort((a, b) => b.score - a.score || a.lap - b.lap || byExtension(a, b));
      return;
    }
    case 'random': {
      list.sort((a, b) => b.score - a.score || byExtension(a, b));
      let start = 0;
      while (start < list.length) {
        const score = (list[start] as Candidate).score;
        let end = start + 1;
        while (end < list.length && (list[end] as Candidate).score === score) end++;
        shuffle(list, start, end, random);
        start = end;
      }
      return;
    }
  }
}

/** Fisher-Yates over list[start, end). */
function shuffle<T>(list: T[], start: number, end: number, random: () => number): void {
  for (let i = end - 1; i > start; i--) {
    const span = i - start + 1;
    const r = random();
    const j = start + Math.min(span - 1, Math.max(0, Math.floor((Number.isFinite(r) ? r : 0) * span)));
    const tmp = list[i] as T;
    list[i] = list[j] as T;
    list[j] = tmp;
  }
}
