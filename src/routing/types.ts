/**
 * Types shared by the queue routing modules, the error every mutator in src/routing/ throws, and small helpers.
 *
 * Vocabulary:
 *   - skill: something an agent can do ("sales", "french"), identified by `id`;
 *   - agent: an extension with at least one agent skill (that is what makes an extension an agent);
 *   - queue: a number callers dial; an INVITE to it is forwarded to agents, best first (serial forking);
 *   - requirement: a skill a queue asks for, required (hard filter) or preferred (only scores), with a
 *     minimum proficiency, optionally relaxed after the caller has waited a while.
 */

/** Proficiency is an integer from 1 (beginner) to 10 (expert). */
export const MIN_PROFICIENCY = 1;
export const MAX_PROFICIENCY = 10;

export interface Skill {
  /** Stable identifier, referenced by agent skills and queue requirements. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
}

export interface AgentSkill {
  readonly extension: string;
  /** A Skill id. */
  readonly skill: string;
  /** Integer 1-10. */
  readonly proficiency: number;
}

/**
 * How agents whose scores are equal are ordered (score always comes first, see ranker.ts):
 *   - longest-idle: the agent whose last call ended longest ago first (never had a call = idle the longest);
 *   - fewest-calls: the agent that took the fewest calls first (then longest idle);
 *   - round-robin: the agents after the last one tried for this queue, in extension order, wrapping around;
 *   - random: shuffled with the injected random source.
 */
export type QueueStrategy = 'longest-idle' | 'fewest-calls' | 'round-robin' | 'random';

export const QUEUE_STRATEGIES: readonly QueueStrategy[] = ['longest-idle', 'fewest-calls', 'round-robin', 'random'];

/** Final answer to the caller when no agent can take the call. */
export type NoAgentStatus = 480 | 486;

export const NO_AGENT_STATUSES: readonly NoAgentStatus[] = [480, 486];

export interface Queue {
  /** The number callers dial (the Request-URI user part). */
  readonly number: string;
  readonly name?: string;
  readonly strategy: QueueStrategy;
  /** When no available agent meets the required skills, offer the call to any available agent instead of refusing it. */
  readonly fallbackToAny: boolean;
  readonly noAgentStatus: NoAgentStatus;
  /** How long each agent rings before the next one is tried. */
  readonly ringTimeoutSeconds: number;
  /** How many agents one call tries, one after another. */
  readonly maxAgents: number;
  /**
   * 0..1, default 1: how much the proficiency level counts against merely having a matching skill.
   * 1 = the seed formula (proficiency/10 per requirement); 0 = only which requirements are met counts, not
   * how well (all agents meeting the same requirements tie, and the strategy decides). See scoring.ts.
   */
  readonly proficiencyWeight?: number;
}

export type RequirementKind = 'required' | 'preferred';

export interface QueueRequirement {
  readonly queue: string;
  /** A Skill id. */
  readonly skill: string;
  /** 1-10. For a required skill agents below it are disqualified; for a preferred one they get no credit for it. */
  readonly minProficiency: number;
  readonly kind: RequirementKind;
  /** After the caller has waited this long (seconds, inclusive), the relaxed values below apply. */
  readonly relaxAfterSeconds?: number;
  /** The minimum once relaxed (<= minProficiency). */
  readonly relaxedMinProficiency?: number;
  /** Once relaxed, a required skill becomes preferred (no longer disqualifies). */
  readonly relaxToPreferred?: boolean;
}

/** Everything the routing service holds that is configuration (what persistence stores and loads). */
export interface RoutingConfig {
  readonly skills: readonly Skill[];
  readonly agentSkills: readonly AgentSkill[];
  readonly queues: readonly Queue[];
  readonly requirements: readonly QueueRequirement[];
}

export interface ValidationIssue {
  /** The offending field, e.g. "proficiency", "skill", "requirements[3].minProficiency". */
  readonly field: string;
  readonly message: string;
}

/** invalid → HTTP 400, not-found → 404, conflict → 409. */
export type RoutingErrorCode = 'invalid' | 'not-found' | 'conflict';

/** Thrown by every validator and mutator in src/routing/. `issues` lists every problem found, each naming its field. */
export class RoutingError extends Error {
  override readonly name = 'RoutingError';
  readonly code: RoutingErrorCode;
  readonly issues: readonly ValidationIssue[];

  constructor(code: RoutingErrorCode, issues: readonly ValidationIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; ') || code);
    this.code = code;
    this.issues = issues;
  }

  /** The same error with every field prefixed, e.g. "skills[2]" + "name" -> "skills[2].name". */
  prefixed(prefix: string): RoutingError {
    return new RoutingError(
      this.code,
      this.issues.map((i) => ({ field: `${prefix}.${i.field}`, message: i.message })),
    );
  }
}

export function invalid(field: string, message: string): RoutingError {
  return new RoutingError('invalid', [{ field, message }]);
}

/** Identifier rule for skill ids, extensions and queue numbers: 1-128 printable characters, no whitespace. */
const ID_PATTERN = /^[^\s\u0000-\u001f\u007f]{1,128}$/u;

export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DIGITS = /^\d+$/u;

/**
 * Total order on extensions used wherever an order between agents is needed (round robin, last tiebreak):
 * all-digit extensions numerically (by length, then digits; so "99" < "100"), before any other, which
 * compare by code unit.
 */
export function compareExtensions(a: string, b: string): number {
  return a === b ? 0 : compareExtensionsKnown(a, DIGITS.test(a), b, DIGITS.test(b));
}

/** Whether an extension is all digits (numeric order in compareExtensions). */
export function isNumericExtension(extension: string): boolean {
  return DIGITS.test(extension);
}

/** compareExtensions with the all-digits test of both sides precomputed (for sorting many). */
export function compareExtensionsKnown(a: string, da: boolean, b: string, db: boolean): number {
  if (a === b) return 0;
  if (da && db) {
    if (a.length !== b.length) return a.length - b.length;
    return a < b ? -1 : 1;
  }
  if (da !== db) return da ? -1 : 1;
  return a < b ? -1 : 1;
}
