/**
 * The routing core as the rest of sipwarden sees it: holds skills, agent skills, queues and queue requirements in
 * memory, the AgentPresence, and answers "which agents, in which order, for a call to this queue now".
 *
 * Pure: no I/O, no timers; the instant is passed to every decision, DND comes in as a function and randomness
 * as a `random()` source (both injected). Persistence loads configuration with load() and mirrors edits made
 * through the add/update/remove methods (each returns what it stored or removed); the admin API calls those
 * methods and maps RoutingError.code to HTTP (invalid 400, not-found 404, conflict 409), issues naming the field.
 *
 * Update methods take a patch: the fields given replace the stored ones, `null` removes an optional field, the
 * identifying fields (id, number, queue/skill, extension/skill) cannot change.
 */
import { AgentPresence, type PresenceOptions } from './agent-presence.js';
import { classifyAttemptStatus, type AttemptOutcome, type QueueAttempt } from './outcome.js';
import { rankAgents, type DndCheck, type RankResult } from './ranker.js';
import { SkillIndex } from './skill-index.js';
import {
  RoutingError,
  compareExtensions,
  invalid,
  isIdentifier,
  isRecord,
  type AgentSkill,
  type NoAgentStatus,
  type Queue,
  type QueueRequirement,
  type RoutingConfig,
  type Skill,
  type ValidationIssue,
} from './types.js';
import { validateAgentSkill, validateQueue, validateRequirement, validateSkill } from './validation.js';

export interface RoutingServiceOptions {
  /** An AgentPresence to use, or the options to build one. */
  readonly presence?: AgentPresence | PresenceOptions;
  /** Default: nobody is ever in DND. Wire to the DND service: (ext, t) => dnd.status(ext, t).dnd. */
  readonly isInDnd?: DndCheck;
  /** Uniform in [0, 1), for the random strategy. Default Math.random. */
  readonly random?: () => number;
}

export interface RouteResult extends RankResult {
  readonly queue: Queue;
  /** null when there is an agent to try; otherwise what to answer the caller (queue.noAgentStatus). */
  readonly noAgentStatus: NoAgentStatus | null;
}

export interface RecordOutcomeOptions {
  /** The queue call's Call-ID, when it was used for ringStarted reservations / callStarted. */
  readonly callId?: string;
  /** The caller hung up while the last tried agent was ringing: that attempt is not the agent's no-answer. */
  readonly callerAbandoned?: boolean;
}

export interface RecordedAttempt {
  readonly extension: string;
  readonly status: number | null;
  readonly outcome: AttemptOutcome;
  /** This no-answer paused the agent (maxNoAnswer reached): worth a log line / security event. */
  readonly pausedNow: boolean;
}

export interface RemovedSkill {
  readonly skill: Skill;
  readonly agentSkills: readonly AgentSkill[];
  readonly requirements: readonly QueueRequirement[];
}

export interface RemovedQueue {
  readonly queue: Queue;
  readonly requirements: readonly QueueRequirement[];
}

function notFound(field: string, message: string): RoutingError {
  return new RoutingError('not-found', [{ field, message }]);
}

function conflict(field: string, message: string): RoutingError {
  return new RoutingError('conflict', [{ field, message }]);
}

function mergePatch(existing: object, patch: unknown, keys: readonly string[]): Record<string, unknown> {
  if (!isRecord(patch)) throw invalid('(body)', 'must be an object');
  const issues: ValidationIssue[] = [];
  const current = existing as Record<string, unknown>;
  for (const key of keys) {
    if (key in patch && patch[key] !== current[key]) issues.push({ field: key, message: 'cannot be changed' });
  }
  if (issues.length > 0) throw new RoutingError('invalid', issues);
  return { ...current, ...patch };
}

export class RoutingService {
  readonly presence: AgentPresence;
  private isInDnd: DndCheck;
  private readonly random: () => number;

  private readonly skills = new Map<string, Skill>();
  /** extension → skill id → proficiency: the ranker's candidate index. */
  private readonly agentIndex = new Map<string, Map<string, number>>();
  private readonly queues = new Map<string, Queue>();
  /** queue → skill id → requirement. */
  private readonly requirements = new Map<string, Map<string, QueueRequirement>>();
  /** queue → requirements as an array (rebuilt on change). */
  private readonly requirementLists = new Map<string, readonly QueueRequirement[]>();
  /** agentIndex compiled for ranking; null after a change (rebuilt on the next ranking). */
  private skillIndex: SkillIndex | null = null;

  constructor(options: RoutingServiceOptions = {}) {
    this.presence = options.presence instanceof AgentPresence ? options.presence : new AgentPresence(options.presence ?? {});
    this.isInDnd = options.isInDnd ?? (() => false);
    this.random = options.random ?? Math.random;
  }

  /** Replace the DND check (the DND service may be built after routing). */
  setDndCheck(isInDnd: DndCheck): void {
    this.isInDnd = isInDnd;
  }

  // ---- skills ---------------------------------------------------------------------------------------------

  addSkill(input: unknown): Skill {
    const skill = validateSkill(input);
    if (this.skills.has(skill.id)) throw conflict('id', `skill "${skill.id}" already exists`);
    this.skills.set(skill.id, skill);
    return skill;
  }

  updateSkill(id: string, patch: unknown): Skill {
    const existing = this.skills.get(id);
    if (!existing) throw notFound('id', `unknown skill "${id}"`);
    const skill = validateSkill(mergePatch(existing, patch, ['id']));
    this.skills.set(id, skill);
    return skill;
  }

  /**
   * Remove a skill. While agents hold it or queues require it this is a conflict (removing a required skill
   * silently would widen who gets a queue's calls), unless `force`, which removes those too and returns them.
   */
  removeSkill(id: string, options: { readonly force?: boolean } = {}): RemovedSkill {
    const skill = this.skills.get(id);
    if (!skill) throw notFound('id', `unknown skill "${id}"`);
    const agentSkills = this.listAgentSkills().filter((a) => a.skill === id);
    const requirements = this.listRequirements().filter((r) => r.skill === id);
    if ((agentSkills.length > 0 || requirements.length > 0) && options.force !== true) {
      throw conflict('id', `skill "${id}" is held by ${agentSkills.length} agent(s) and used by ${requirements.length} queue requirement(s)`);
    }
    for (const a of agentSkills) this.deleteAgentSkill(a.extension, a.skill);
    for (const r of requirements) this.deleteRequirement(r.queue, r.skill);
    this.skills.delete(id);
    return { skill, agentSkills, requirements };
  }

  getSkill(id: string): Skill | undefined {
    return this.skills.get(id);
  }

  listSkills(): Skill[] {
    return [...this.skills.values()];
  }

  // ---- agent skills ---------------------------------------------------------------------------------------

  addAgentSkill(input: unknown): AgentSkill {
    const a = validateAgentSkill(input);
    this.checkSkillExists(a.skill, 'skill');
    if (this.agentIndex.get(a.extension)?.has(a.skill)) {
      throw conflict('skill', `agent ${a.extension} already has skill "${a.skill}"`);
    }
    this.putAgentSkill(a);
    return a;
  }

  updateAgentSkill(extension: string, skill: string, patch: unknown): AgentSkill {
    const proficiency = this.agentIndex.get(extension)?.get(skill);
    if (proficiency === undefined) throw notFound('skill', `agent ${extension} has no skill "${skill}"`);
    const a = validateAgentSkill(mergePatch({ extension, skill, proficiency }, patch, ['extension', 'skill']));
    this.putAgentSkill(a);
    return a;
  }

  removeAgentSkill(extension: string, skill: string): AgentSkill {
    const proficiency = this.agentIndex.get(extension)?.get(skill);
    if (proficiency === undefined) throw notFound('skill', `agent ${extension} has no skill "${skill}"`);
    this.deleteAgentSkill(extension, skill);
    return { extension, skill, proficiency };
  }

  /**
   * Replace all skills of one agent (admin "PUT /agents/{ext}/skills"). Each item is { skill, proficiency }
   * (extension optional, must match). An empty list makes the extension no agent any more.
   */
  setAgentSkills(extension: string, inputs: unknown): AgentSkill[] {
    if (!isIdentifier(extension)) throw invalid('extension', 'must be a non-empty string of at most 128 characters without whitespace');
    if (!Array.isArray(inputs)) throw invalid('skills', 'must be an array');
    const issues: ValidationIssue[] = [];
    const result: AgentSkill[] = [];
    const seen = new Set<string>();
    inputs.forEach((item: unknown, i) => {
      try {
        const a = validateAgentSkill(isRecord(item) ? { extension, ...item } : item);
        if (a.extension !== extension) throw invalid('extension', `must be ${extension}`);
        this.checkSkillExists(a.skill, 'skill');
        if (seen.has(a.skill)) throw invalid('skill', `duplicate skill "${a.skill}"`);
        seen.add(a.skill);
        result.push(a);
      } catch (err) {
        if (!(err instanceof RoutingError)) throw err;
        issues.push(...err.prefixed(`skills[${i}]`).issues);
      }
    });
    if (issues.length > 0) throw new RoutingError('invalid', issues);
    this.agentIndex.delete(extension);
    this.skillIndex = null;
    for (const a of result) this.putAgentSkill(a);
    return result;
  }

  /** Agent skills, of one agent or of all, agents in extension order. */
  listAgentSkills(extension?: string): AgentSkill[] {
    const out: AgentSkill[] = [];
    const exts = extension !== undefined ? [extension] : this.agents();
    for (const ext of exts) {
      for (const [skill, proficiency] of this.agentIndex.get(ext) ?? []) out.push({ extension: ext, skill, proficiency });
    }
    return out;
  }

  /** Extensions that are agents (hold at least one skill), in extension order. */
  agents(): string[] {
    return [...this.agentIndex.keys()].sort(compareExtensions);
  }

  // ---- queues ---------------------------------------------------------------------------------------------

  addQueue(input: unknown): Queue {
    const queue = validateQueue(input);
    if (this.queues.has(queue.number)) throw conflict('number', `queue ${queue.number} already exists`);
    this.queues.set(queue.number, queue);
    return queue;
  }

  updateQueue(number: string, patch: unknown): Queue {
    const existing = this.queues.get(number);
    if (!existing) throw notFound('number', `unknown queue ${number}`);
    const queue = validateQueue(mergePatch(existing, patch, ['number']));
    this.queues.set(number, queue);
    return queue;
  }

  /** Removes the queue, its requirements and its round-robin position. */
  removeQueue(number: string): RemovedQueue {
    const queue = this.queues.get(number);
    if (!queue) throw notFound('number', `unknown queue ${number}`);
    const requirements = this.listRequirements(number);
    this.queues.delete(number);
    this.requirements.delete(number);
    this.requirementLists.delete(number);
    this.presence.forgetQueue(number);
    return { queue, requirements };
  }

  isQueue(number: string): boolean {
    return this.queues.has(number);
  }

  getQueue(number: string): Queue | undefined {
    return this.queues.get(number);
  }

  listQueues(): Queue[] {
    return [...this.queues.values()];
  }

  // ---- requirements ---------------------------------------------------------------------------------------

  addRequirement(input: unknown): QueueRequirement {
    const r = validateRequirement(input);
    this.checkRequirementRefs(r);
    if (this.requirements.get(r.queue)?.has(r.skill)) {
      throw conflict('skill', `queue ${r.queue} already has a requirement for skill "${r.skill}"`);
    }
    this.putRequirement(r);
    return r;
  }

  updateRequirement(queue: string, skill: string, patch: unknown): QueueRequirement {
    const existing = this.requirements.get(queue)?.get(skill);
    if (!existing) throw notFound('skill', `queue ${queue} has no requirement for skill "${skill}"`);
    const r = validateRequirement(mergePatch(existing, patch, ['queue', 'skill']));
    this.putRequirement(r);
    return r;
  }

  removeRequirement(queue: string, skill: string): QueueRequirement {
    const existing = this.requirements.get(queue)?.get(skill);
    if (!existing) throw notFound('skill', `queue ${queue} has no requirement for skill "${skill}"`);
    this.deleteRequirement(queue, skill);
    return existing;
  }

  /** Replace all requirements of one queue (items may omit `queue`). */
  setRequirements(queue: string, inputs: unknown): QueueRequirement[] {
    if (!this.queues.has(queue)) throw notFound('queue', `unknown queue ${queue}`);
    if (!Array.isArray(inputs)) throw invalid('requirements', 'must be an array');
    const issues: ValidationIssue[] = [];
    const result: QueueRequirement[] = [];
    const seen = new Set<string>();
    inputs.forEach((item: unknown, i) => {
      try {
        const r = validateRequirement(isRecord(item) ? { queue, ...item } : item);
        if (r.queue !== queue) throw invalid('queue', `must be ${queue}`);
        this.checkRequirementRefs(r);
        if (seen.has(r.skill)) throw invalid('skill', `duplicate requirement for skill "${r.skill}"`);
        seen.add(r.skill);
        result.push(r);
      } catch (err) {
        if (!(err instanceof RoutingError)) throw err;
        issues.push(...err.prefixed(`requirements[${i}]`).issues);
      }
    });
    if (issues.length > 0) throw new RoutingError('invalid', issues);
    this.requirements.delete(queue);
    this.requirementLists.delete(queue);
    for (const r of result) this.putRequirement(r);
    return result;
  }

  /** Requirements of one queue, or of all queues. */
  listRequirements(queue?: string): QueueRequirement[] {
    if (queue !== undefined) return [...(this.requirementLists.get(queue) ?? [])];
    const out: QueueRequirement[] = [];
    for (const list of this.requirementLists.values()) out.push(...list);
    return out;
  }

  // ---- bulk -----------------------------------------------------------------------------------------------

  /**
   * Replace the whole configuration (persistence at start, YAML import). Validates everything first and applies
   * nothing unless all of it is valid; issues are prefixed, e.g. "agentSkills[3].proficiency".
   */
  load(config: unknown): void {
    if (!isRecord(config)) throw invalid('(body)', 'must be an object');
    const staged = new RoutingService({ presence: this.presence, isInDnd: this.isInDnd, random: this.random });
    const issues: ValidationIssue[] = [];
    const each = (key: keyof RoutingConfig, apply: (item: unknown) => void): void => {
      const list = config[key] ?? [];
      if (!Array.isArray(list)) {
        issues.push({ field: key, message: 'must be an array' });
        return;
      }
      list.forEach((item: unknown, i) => {
        try {
          apply(item);
        } catch (err) {
          if (!(err instanceof RoutingError)) throw err;
          issues.push(...err.prefixed(`${key}[${i}]`).issues);
        }
      });
    };
    for (const key of Object.keys(config)) {
      if (!['skills', 'agentSkills', 'queues', 'requirements'].includes(key)) issues.push({ field: key, message: 'unknown field' });
    }
    each('skills', (item) => staged.addSkill(item));
    each('queues', (item) => staged.addQueue(item));
    each('agentSkills', (item) => staged.addAgentSkill(item));
    each('requirements', (item) => staged.addRequirement(item));
    if (issues.length > 0) throw new RoutingError('invalid', issues);

    this.clearConfig();
    for (const [k, v] of staged.skills) this.skills.set(k, v);
    for (const [k, v] of staged.agentIndex) this.agentIndex.set(k, v);
    for (const [k, v] of staged.queues) this.queues.set(k, v);
    for (const [k, v] of staged.requirements) this.requirements.set(k, v);
    for (const [k, v] of staged.requirementLists) this.requirementLists.set(k, v);
  }

  /** The whole configuration, in the shape load() takes. */
  exportConfig(): RoutingConfig {
    return {
      skills: this.listSkills(),
      agentSkills: this.listAgentSkills(),
      queues: this.listQueues(),
      requirements: this.listRequirements(),
    };
  }

  // ---- decisions ------------------------------------------------------------------------------------------

  /**
   * The agents to try for a call to `queueNumber`, best first, at most queue.maxAgents, plus who was excluded and
   * why. null when the number is no queue. `waitedSeconds` is how long the caller has waited already (relaxation;
   * re-route with the new wait after a failed round, see nextRelaxationAfterSeconds).
   */
  route(queueNumber: string, now: number, waitedSeconds = 0): RouteResult | null {
    return this.rank(queueNumber, now, waitedSeconds, true);
  }

  /**
   * "Who would get a call to this queue now": the full ranking (not trimmed to maxAgents; the first maxAgents
   * would be rung) with scores and matched skills, and every excluded agent with its reasons, in extension order.
   */
  dryRun(queueNumber: string, now: number, waitedSeconds = 0): RouteResult | null {
    const result = this.rank(queueNumber, now, waitedSeconds, false);
    if (!result) return null;
    return { ...result, excluded: [...result.excluded].sort((a, b) => compareExtensions(a.extension, b.extension)) };
  }

  /**
   * Learn from how a queue call's attempts ended (see outcome.ts for the status mapping): presence events per
   * attempt, and the queue's round-robin position moves to the last agent actually tried.
   */
  recordOutcome(queueNumber: string, attempts: readonly QueueAttempt[], now: number, options: RecordOutcomeOptions = {}): RecordedAttempt[] {
    if (!Number.isFinite(now)) throw invalid('now', 'must be a finite number of milliseconds');
    const issues: ValidationIssue[] = [];
    attempts.forEach((a, i) => {
      if (!isIdentifier(a.extension)) issues.push({ field: `attempts[${i}].extension`, message: 'must be an extension' });
      if (a.status !== null && !(Number.isInteger(a.status) && a.status >= 100 && a.status <= 699)) {
        issues.push({ field: `attempts[${i}].status`, message: 'must be a SIP status (100-699) or null' });
      }
    });
    if (issues.length > 0) throw new RoutingError('invalid', issues);

    let lastTried = -1;
    attempts.forEach((a, i) => {
      if (a.status !== null) lastTried = i;
    });

    const { callId, callerAbandoned } = options;
    const recorded = attempts.map((a, i): RecordedAttempt => {
      let outcome = classifyAttemptStatus(a.status);
      if (callerAbandoned === true && i === lastTried && outcome === 'no-answer') outcome = 'abandoned';
      let pausedNow = false;
      switch (outcome) {
        case 'answered':
          this.presence.callStarted(a.extension, now, callId);
          break;
        case 'busy':
        case 'rejected':
        case 'no-answer':
        case 'unreachable':
          pausedNow = this.presence.ringFailed(a.extension, outcome, now, callId).pausedNow;
          break;
        case 'abandoned':
          this.presence.ringEnded(a.extension, callId);
          break;
        case 'not-tried':
          if (callId !== undefined) this.presence.ringEnded(a.extension, callId);
          break;
        case 'ignored':
          break;
      }
      return { extension: a.extension, status: a.status, outcome, pausedNow };
    });

    const last = attempts[lastTried];
    if (last && this.queues.has(queueNumber)) this.presence.setLastPicked(queueNumber, last.extension);
    return recorded;
  }

  // ---- internals ------------------------------------------------------------------------------------------

  private rank(queueNumber: string, now: number, waitedSeconds: number, trim: boolean): RouteResult | null {
    const queue = this.queues.get(queueNumber);
    if (!queue) return null;
    const result = rankAgents({
      queue,
      requirements: this.requirementLists.get(queueNumber) ?? [],
      agentSkills: (this.skillIndex ??= SkillIndex.from(this.agentIndex)),
      presence: this.presence,
      isInDnd: this.isInDnd,
      now,
      waitedSeconds,
      random: this.random,
      ...(trim ? { limit: queue.maxAgents } : {}),
    });
    return { ...result, queue, noAgentStatus: result.ranked.length === 0 ? queue.noAgentStatus : null };
  }

  private checkSkillExists(skill: string, field: string): void {
    if (!this.skills.has(skill)) throw invalid(field, `unknown skill "${skill}"`);
  }

  private checkRequirementRefs(r: QueueRequirement): void {
    const issues: ValidationIssue[] = [];
    if (!this.queues.has(r.queue)) issues.push({ field: 'queue', message: `unknown queue ${r.queue}` });
    if (!this.skills.has(r.skill)) issues.push({ field: 'skill', message: `unknown skill "${r.skill}"` });
    if (issues.length > 0) throw new RoutingError('invalid', issues);
  }

  private putAgentSkill(a: AgentSkill): void {
    this.skillIndex = null;
    let skills = this.agentIndex.get(a.extension);
    if (!skills) {
      skills = new Map();
      this.agentIndex.set(a.extension, skills);
    }
    skills.set(a.skill, a.proficiency);
  }

  private deleteAgentSkill(extension: string, skill: string): void {
    this.skillIndex = null;
    const skills = this.agentIndex.get(extension);
    if (!skills) return;
    skills.delete(skill);
    if (skills.size === 0) this.agentIndex.delete(extension);
  }

  private putRequirement(r: QueueRequirement): void {
    let reqs = this.requirements.get(r.queue);
    if (!reqs) {
      reqs = new Map();
      this.requirements.set(r.queue, reqs);
    }
    reqs.set(r.skill, r);
    this.requirementLists.set(r.queue, [...reqs.values()]);
  }

  private deleteRequirement(queue: string, skill: string): void {
    const reqs = this.requirements.get(queue);
    if (!reqs) return;
    reqs.delete(skill);
    if (reqs.size === 0) {
      this.requirements.delete(queue);
      this.requirementLists.delete(queue);
    } else {
      this.requirementLists.set(queue, [...reqs.values()]);
    }
  }

  private clearConfig(): void {
    this.skillIndex = null;
    this.skills.clear();
    this.agentIndex.clear();
    this.queues.clear();
    this.requirements.clear();
    this.requirementLists.clear();
  }
}
