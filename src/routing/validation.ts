/**
 * Validators for routing configuration coming from outside (admin API bodies, SQLite rows, YAML).
 * Each takes `unknown`, returns a normalized value (defaults applied, absent optionals omitted) or throws
 * RoutingError('invalid') listing every problem with the field it concerns. Unknown fields are refused, so a
 * misspelt option is an error rather than silently ignored. `null` for an optional field means "absent"
 * (that is how a patch removes it).
 *
 * Cross-references (does the skill exist, does the queue exist) are checked by RoutingService, which knows them.
 */
import {
  MAX_PROFICIENCY,
  MIN_PROFICIENCY,
  NO_AGENT_STATUSES,
  QUEUE_STRATEGIES,
  RoutingError,
  isIdentifier,
  isRecord,
  type AgentSkill,
  type NoAgentStatus,
  type Queue,
  type QueueRequirement,
  type QueueStrategy,
  type RequirementKind,
  type Skill,
  type ValidationIssue,
} from './types.js';

/** Defaults applied by validateQueue to absent fields. */
export const QUEUE_DEFAULTS = {
  strategy: 'longest-idle',
  fallbackToAny: false,
  noAgentStatus: 480,
  ringTimeoutSeconds: 20,
  maxAgents: 3,
} as const satisfies Partial<Queue>;

export const MAX_RING_TIMEOUT_SECONDS = 600;
export const MAX_AGENTS_PER_CALL = 100;
export const MAX_RELAX_AFTER_SECONDS = 86_400;
const MAX_NAME_LENGTH = 128;
const MAX_DESCRIPTION_LENGTH = 2000;

/** Collects issues while reading one object. */
export class FieldReader {
  readonly issues: ValidationIssue[] = [];
  private readonly obj: Record<string, unknown>;

  constructor(
    input: unknown,
    private readonly known: readonly string[],
  ) {
    if (!isRecord(input)) {
      this.issues.push({ field: '(body)', message: 'must be an object' });
      this.obj = {};
      return;
    }
    this.obj = input;
    for (const key of Object.keys(input)) {
      if (!known.includes(key)) this.issues.push({ field: key, message: 'unknown field' });
    }
  }

  private value(key: string): unknown {
    const v = this.obj[key];
    return v === null ? undefined : v;
  }

  present(key: string): boolean {
    return this.value(key) !== undefined;
  }

  issue(field: string, message: string): void {
    this.issues.push({ field, message });
  }

  identifier(key: string): string {
    const v = this.value(key);
    if (v === undefined) {
      this.issue(key, 'is required');
      return '';
    }
    if (!isIdentifier(v)) {
      this.issue(key, 'must be a non-empty string of at most 128 characters without whitespace');
      return '';
    }
    return v;
  }

  text(key: string, maxLength: number, opts: { nonEmpty: boolean }): string | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      this.issue(key, 'must be a string');
      return undefined;
    }
    const trimmed = v.trim();
    if (opts.nonEmpty && trimmed.length === 0) {
      this.issue(key, 'must not be empty');
      return undefined;
    }
    if (trimmed.length > maxLength) {
      this.issue(key, `must be at most ${maxLength} characters`);
      return undefined;
    }
    return trimmed;
  }

  integer(key: string, min: number, max: number): number | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.issue(key, `must be an integer from ${min} to ${max}`);
      return undefined;
    }
    return v;
  }

  number(key: string, min: number, max: number): number | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      this.issue(key, `must be a number from ${min} to ${max}`);
      return undefined;
    }
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      this.issue(key, 'must be true or false');
      return undefined;
    }
    return v;
  }

  oneOf<T extends string | number>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    const found = allowed.find((a) => a === v);
    if (found === undefined) {
      this.issue(key, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
      return undefined;
    }
    return found;
  }

  required<T>(key: string, value: T | undefined): T | undefined {
    if (value === undefined && !this.present(key)) this.issue(key, 'is required');
    return value;
  }

  done(): void {
    if (this.issues.length > 0) throw new RoutingError('invalid', this.issues);
  }
}

const SKILL_FIELDS = ['id', 'name', 'description'] as const;

/** { id, name?, description? } → Skill (name defaults to the id, description to ""). */
export function validateSkill(input: unknown): Skill {
  const r = new FieldReader(input, SKILL_FIELDS);
  const id = r.identifier('id');
  const name = r.text('name', MAX_NAME_LENGTH, { nonEmpty: true });
  const description = r.text('description', MAX_DESCRIPTION_LENGTH, { nonEmpty: false });
  r.done();
  return { id, name: name ?? id, description: description ?? '' };
}

const AGENT_SKILL_FIELDS = ['extension', 'skill', 'proficiency'] as const;

/** { extension, skill, proficiency 1-10 } → AgentSkill. Whether the skill exists is checked by the service. */
export function validateAgentSkill(input: unknown): AgentSkill {
  const r = new FieldReader(input, AGENT_SKILL_FIELDS);
  const extension = r.identifier('extension');
  const skill = r.identifier('skill');
  const proficiency = r.required('proficiency', r.integer('proficiency', MIN_PROFICIENCY, MAX_PROFICIENCY));
  r.done();
  return { extension, skill, proficiency: proficiency ?? MIN_PROFICIENCY };
}

const QUEUE_FIELDS = [
  'number',
  'name',
  'strategy',
  'fallbackToAny',
  'noAgentStatus',
  'ringTimeoutSeconds',
  'maxAgents',
  'proficiencyWeight',
] as const;

/** A queue with defaults (QUEUE_DEFAULTS) for absent fields; proficiencyWeight stays absent (= 1) unless given. */
export function validateQueue(input: unknown): Queue {
  const r = new FieldReader(input, QUEUE_FIELDS);
  const number = r.identifier('number');
  const name = r.text('name', MAX_NAME_LENGTH, { nonEmpty: true });
  const strategy: QueueStrategy = r.oneOf('strategy', QUEUE_STRATEGIES) ?? QUEUE_DEFAULTS.strategy;
  const fallbackToAny = r.boolean('fallbackToAny') ?? QUEUE_DEFAULTS.fallbackToAny;
  const noAgentStatus: NoAgentStatus = r.oneOf('noAgentStatus', NO_AGENT_STATUSES) ?? QUEUE_DEFAULTS.noAgentStatus;
  const ringTimeoutSeconds = r.integer('ringTimeoutSeconds', 1, MAX_RING_TIMEOUT_SECONDS) ?? QUEUE_DEFAULTS.ringTimeoutSeconds;
  const maxAgents = r.integer('maxAgents', 1, MAX_AGENTS_PER_CALL) ?? QUEUE_DEFAULTS.maxAgents;
  const proficiencyWeight = r.number('proficiencyWeight', 0, 1);
  r.done();
  return {
    number,
    ...(name !== undefined ? { name } : {}),
    strategy,
    fallbackToAny,
    noAgentStatus,
    ringTimeoutSeconds,
    maxAgents,
    ...(proficiencyWeight !== undefined ? { proficiencyWeight } : {}),
  };
}

const REQUIREMENT_FIELDS = [
  'queue',
  'skill',
  'minProficiency',
  'kind',
  'relaxAfterSeconds',
  'relaxedMinProficiency',
  'relaxToPreferred',
] as const;

const REQUIREMENT_KINDS: readonly RequirementKind[] = ['required', 'preferred'];

/**
 * { queue, skill, minProficiency? (default 1), kind? (default "required"), relaxAfterSeconds?, relaxedMinProficiency?,
 * relaxToPreferred? } → QueueRequirement. Rules: a relaxation needs relaxAfterSeconds and something to relax;
 * relaxedMinProficiency <= minProficiency; relaxToPreferred only for a required skill.
 */
export function validateRequirement(input: unknown): QueueRequirement {
  const r = new FieldReader(input, REQUIREMENT_FIELDS);
  const queue = r.identifier('queue');
  const skill = r.identifier('skill');
  const minProficiency = r.integer('minProficiency', MIN_PROFICIENCY, MAX_PROFICIENCY) ?? MIN_PROFICIENCY;
  const kind: RequirementKind = r.oneOf('kind', REQUIREMENT_KINDS) ?? 'required';
  const relaxAfterSeconds = r.number('relaxAfterSeconds', 0, MAX_RELAX_AFTER_SECONDS);
  const relaxedMinProficiency = r.integer('relaxedMinProficiency', MIN_PROFICIENCY, MAX_PROFICIENCY);
  const relaxToPreferred = r.boolean('relaxToPreferred') ?? false;

  if (relaxedMinProficiency !== undefined && relaxedMinProficiency > minProficiency) {
    r.issue('relaxedMinProficiency', `must not be above minProficiency (${minProficiency})`);
  }
  if (relaxToPreferred && kind !== 'required') {
    r.issue('relaxToPreferred', 'only a required skill can relax to preferred');
  }
  const relaxes = relaxedMinProficiency !== undefined || relaxToPreferred;
  if (r.present('relaxAfterSeconds') && !relaxes) {
    r.issue('relaxAfterSeconds', 'nothing to relax: set relaxedMinProficiency or relaxToPreferred');
  }
  if (!r.present('relaxAfterSeconds')) {
    if (relaxedMinProficiency !== undefined) r.issue('relaxedMinProficiency', 'requires relaxAfterSeconds');
    if (relaxToPreferred) r.issue('relaxToPreferred', 'requires relaxAfterSeconds');
  }
  r.done();
  return {
    queue,
    skill,
    minProficiency,
    kind,
    ...(relaxAfterSeconds !== undefined ? { relaxAfterSeconds } : {}),
    ...(relaxedMinProficiency !== undefined ? { relaxedMinProficiency } : {}),
    ...(relaxToPreferred ? { relaxToPreferred } : {}),
  };
}
