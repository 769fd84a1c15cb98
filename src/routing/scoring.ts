/**
 * Skill scoring: which agents qualify for a queue, and how well each fits.
 *
 * 1. Relaxation. A requirement with relaxAfterSeconds = R applies its relaxed form once the caller has waited
 *    waitedSeconds >= R: minProficiency becomes relaxedMinProficiency (when set) and, with relaxToPreferred,
 *    kind becomes 'preferred'.
 *
 * 2. Qualification (hard filter). An agent is disqualified by any effective *required* requirement whose skill it
 *    lacks ("missing-skill:<id>") or holds below the effective minimum ("below-minimum:<id>"). Preferred
 *    requirements never disqualify.
 *
 * 3. Score, in [0, 1]. For each effective requirement r:
 *      weight_r = 1.0 if required, 0.5 if preferred
 *      met_r    = 1 if the agent holds the skill at >= the effective minimum, else 0
 *                 (a missing preferred skill, or one below its minimum, earns nothing)
 *      p_r      = the agent's proficiency in the skill (1..10)
 *      c_r      = met_r * ((1 - w) + w * p_r / 10)          w = the queue's proficiencyWeight (default 1)
 *    score = sum(weight_r * c_r) / sum(weight_r)            (a weighted mean over all requirements)
 *    A queue without requirements scores every agent 1.
 *
 *    With w = 1 this is exactly the seed formula: the weighted mean of proficiency/10, missing preferred = 0.
 *    With w = 0 only *which* requirements are met counts (each met one earns its full weight), so agents meeting
 *    the same requirements tie and the queue's strategy decides among them. In between, w trades "meets one more
 *    preferred skill" against "is more proficient". (Blending at the level of the whole score, (1-w)*1 + w*formula,
 *    would be an increasing affine map of the formula and could never change the order, so it is not used.)
 *
 *    Scores are rounded to 1e-9 so that equal fits compare equal despite floating point (ties are then broken by
 *    the strategy, never blended with it).
 *
 * In fallback mode (nobody qualifies, queue.fallbackToAny) the same score ranks every available agent: unmet
 * required skills simply earn nothing.
 */
import type { QueueRequirement, RequirementKind } from './types.js';

export const REQUIRED_WEIGHT = 1;
export const PREFERRED_WEIGHT = 0.5;
export const DEFAULT_PROFICIENCY_WEIGHT = 1;

/** A requirement as it applies after `waitedSeconds`. */
export interface EffectiveRequirement {
  readonly skill: string;
  readonly kind: RequirementKind;
  readonly minProficiency: number;
  readonly weight: number;
  /** True when the relaxed form applies. */
  readonly relaxed: boolean;
}

export interface MatchedSkill {
  readonly skill: string;
  readonly proficiency: number;
  readonly kind: RequirementKind;
}

export type SkillShortfall = `missing-skill:${string}` | `below-minimum:${string}`;

export interface SkillEvaluation {
  /** Meets every effective required requirement. */
  readonly qualified: boolean;
  readonly score: number;
  /** Requirements met (at or above the effective minimum), in requirement order. */
  readonly matched: readonly MatchedSkill[];
  /** Why not qualified (required requirements only); empty when qualified. */
  readonly shortfalls: readonly SkillShortfall[];
}

/** The effective requirements after waiting `waitedSeconds` (negative or NaN waits count as 0). */
export function effectiveRequirements(requirements: readonly QueueRequirement[], waitedSeconds: number): EffectiveRequirement[] {
  const waited = Number.isFinite(waitedSeconds) && waitedSeconds > 0 ? waitedSeconds : 0;
  return requirements.map((r) => {
    const relaxed = r.relaxAfterSeconds !== undefined && waited >= r.relaxAfterSeconds;
    const kind: RequirementKind = relaxed && r.relaxToPreferred ? 'preferred' : r.kind;
    const minProficiency = relaxed && r.relaxedMinProficiency !== undefined ? r.relaxedMinProficiency : r.minProficiency;
    return { skill: r.skill, kind, minProficiency, weight: kind === 'required' ? REQUIRED_WEIGHT : PREFERRED_WEIGHT, relaxed };
  });
}

/** The smallest relaxAfterSeconds still ahead of `waitedSeconds` (when re-ranking could change the answer), else null. */
export function nextRelaxationAfter(requirements: readonly QueueRequirement[], waitedSeconds: number): number | null {
  const waited = Number.isFinite(waitedSeconds) && waitedSeconds > 0 ? waitedSeconds : 0;
  let next: number | null = null;
  for (const r of requirements) {
    if (r.relaxAfterSeconds !== undefined && r.relaxAfterSeconds > waited && (next === null || r.relaxAfterSeconds < next)) {
      next = r.relaxAfterSeconds;
    }
  }
  return next;
}

/** Requirements and weight prepared once per ranking. */
export interface ScoringPlan {
  readonly requirements: readonly EffectiveRequirement[];
  readonly proficiencyWeight: number;
  readonly totalWeight: number;
  /** Per requirement: the shortfall reasons, built once instead of once per agent. */
  readonly missingReasons: readonly SkillShortfall[];
  readonly belowReasons: readonly SkillShortfall[];
}

export function scoringPlan(requirements: readonly EffectiveRequirement[], proficiencyWeight: number = DEFAULT_PROFICIENCY_WEIGHT): ScoringPlan {
  const w = Number.isFinite(proficiencyWeight) ? Math.min(1, Math.max(0, proficiencyWeight)) : DEFAULT_PROFICIENCY_WEIGHT;
  let totalWeight = 0;
  for (const r of requirements) totalWeight += r.weight;
  return {
    requirements,
    proficiencyWeight: w,
    totalWeight,
    missingReasons: requirements.map((r): SkillShortfall => `missing-skill:${r.skill}`),
    belowReasons: requirements.map((r): SkillShortfall => `below-minimum:${r.skill}`),
  };
}

const NONE: readonly never[] = Object.freeze([]);

export function roundScore(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/** Qualification and score without the matched-skill list (the ranker's hot path). */
export interface SkillAssessment {
  readonly qualified: boolean;
  readonly score: number;
  readonly shortfalls: readonly SkillShortfall[];
}

const QUALIFIED_NO_REQUIREMENTS: SkillAssessment = Object.freeze({ qualified: true, score: 1, shortfalls: NONE });

/**
 * Qualification and score from a row of proficiencies aligned with plan.requirements (0 = skill not held):
 * row[offset + i] is the agent's proficiency in requirement i's skill.
 */
export function assessRow(row: ArrayLike<number>, offset: number, plan: ScoringPlan): SkillAssessment {
  const reqs = plan.requirements;
  if (reqs.length === 0) return QUALIFIED_NO_REQUIREMENTS;
  const w = plan.proficiencyWeight;
  let sum = 0;
  let shortfalls: SkillShortfall[] | null = null;
  for (let i = 0; i < reqs.length; i++) {
    const r = reqs[i] as EffectiveRequirement;
    const p = row[offset + i] ?? 0;
    if (p > 0 && p >= r.minProficiency) {
      sum += r.weight * (1 - w + (w * p) / 10);
    } else if (r.kind === 'required') {
      (shortfalls ??= []).push((p === 0 ? plan.missingReasons[i] : plan.belowReasons[i]) as SkillShortfall);
    }
  }
  return { qualified: shortfalls === null, score: roundScore(sum / plan.totalWeight), shortfalls: shortfalls ?? NONE };
}

/** The requirements met (at or above the effective minimum), in requirement order, from a row as for assessRow. */
export function matchedFromRow(row: ArrayLike<number>, offset: number, plan: ScoringPlan): readonly MatchedSkill[] {
  let matched: MatchedSkill[] | null = null;
  const reqs = plan.requirements;
  for (let i = 0; i < reqs.length; i++) {
    const r = reqs[i] as EffectiveRequirement;
    const p = row[offset + i] ?? 0;
    if (p > 0 && p >= r.minProficiency) (matched ??= []).push({ skill: r.skill, proficiency: p, kind: r.kind });
  }
  return matched ?? NONE;
}

function rowOf(skills: ReadonlyMap<string, number> | undefined, plan: ScoringPlan): number[] {
  return plan.requirements.map((r) => skills?.get(r.skill) ?? 0);
}

/** Qualification and score of one agent (skill id → proficiency), without the matched-skill list. */
export function assessSkills(skills: ReadonlyMap<string, number> | undefined, plan: ScoringPlan): SkillAssessment {
  return assessRow(rowOf(skills, plan), 0, plan);
}

/** The requirements an agent meets (at or above the effective minimum), in requirement order. */
export function matchedSkills(skills: ReadonlyMap<string, number> | undefined, plan: ScoringPlan): readonly MatchedSkill[] {
  return matchedFromRow(rowOf(skills, plan), 0, plan);
}

/** Qualification, score and matched skills of one agent, whose skills are given as skill id → proficiency. */
export function evaluateSkills(skills: ReadonlyMap<string, number> | undefined, plan: ScoringPlan): SkillEvaluation {
  const a = assessSkills(skills, plan);
  return { qualified: a.qualified, score: a.score, matched: matchedSkills(skills, plan), shortfalls: a.shortfalls };
}
