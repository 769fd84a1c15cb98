/**
 * /api/v1/skills and /api/v1/queues (and /api/v1/agents): skills, agent skills, queues and
 * their requirements; live agent availability, a dry run of "who would get a call to queue Q
 * now", pause and unpause. The routing module validates; its errors map to 400/404/409.
 */
import { z } from 'zod';
import type { Clock } from '../../../clock.js';
import { RoutingError, type Availability, type RouteResult, type RoutingService } from '../../../routing/index.js';
import type { ApiFeature } from '../deps.js';
import { ApiError } from '../errors.js';
import { commonErrors, json, notFound } from '../schemas.js';
import type { ApiInstance } from './types.js';

/** What the routes need: the service, and a way to persist after a change. */
export interface RoutingAdmin {
  readonly service: RoutingService;
  /** Store the configuration after a change. */
  saved(): void;
  /** Whether an extension is in DND (agents in DND are unavailable). */
  readonly isInDnd: (extension: string, now: number) => boolean;
}

const STATUS: Record<RoutingError['code'], number> = { invalid: 400, 'not-found': 404, conflict: 409 };
const KIND: Record<RoutingError['code'], string> = { invalid: 'bad-request', 'not-found': 'not-found', conflict: 'conflict' };

const id = z.string().min(1).max(128);
const body = z.looseObject({});
const out = z.unknown();
const listOut = z.object({ items: z.array(z.unknown()) });

export function routingApi(admin: RoutingAdmin, clock: Clock): ApiFeature {
  /** Run a change: validation errors become 400/404/409 naming the field; success is persisted. */
  const change = <T>(fn: () => T): T => {
    let result: T;
    try {
      result = fn();
    } catch (err) {
      if (err instanceof RoutingError) throw new ApiError(STATUS[err.code], KIND[err.code], err.message);
      throw err;
    }
    admin.saved();
    return result;
  };
  const read = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof RoutingError) throw new ApiError(STATUS[err.code], KIND[err.code], err.message);
      throw err;
    }
  };
  const queueResult = (number: string, result: RouteResult | null) => {
    if (result === null) throw new ApiError(404, 'not-found', `no queue ${number}`);
    return result;
  };
  const availability = (a: Availability) => ({ ...a });

  return {
    tag: { name: 'routing', description: 'skills, queues, agents: skills-based queue routing' },
    register(api: ApiInstance) {
      const s = () => admin.service;
      const T = ['routing'];
      api.get('/skills', { schema: { tags: T, summary: 'All skills', response: { 200: json('Skills', listOut), ...commonErrors } } }, async () => ({ items: s().listSkills() }));
      api.post('/skills', { schema: { tags: T, summary: 'Add a skill (id, name, description)', body, response: { 201: json('The skill', out), ...commonErrors } } }, async (request, reply) =>
        reply.code(201).send(change(() => s().addSkill(request.body))),
      );
      api.delete('/skills/:id', { schema: { tags: T, summary: 'Remove a skill (?force=true also removes its agent skills and requirements)', params: z.strictObject({ id }), querystring: z.strictObject({ force: z.enum(['true', 'false']).optional() }), response: { 200: json('Removed', out), ...commonErrors, 404: notFound('No such skill') } } }, async (request) =>
        change(() => s().removeSkill(request.params.id, { force: request.query.force === 'true' })),
      );

      api.get('/skills/agents/:extension', { schema: { tags: T, summary: "An agent's skills", params: z.strictObject({ extension: id }), response: { 200: json('Agent skills', listOut), ...commonErrors } } }, async (request) => ({
        items: s().listAgentSkills(request.params.extension),
      }));
      api.put(
        '/skills/agents/:extension/:skill',
        { schema: { tags: T, summary: 'Assign a skill to an agent with a proficiency (1-10)', params: z.strictObject({ extension: id, skill: id }), body: z.strictObject({ proficiency: z.number().int().min(1).max(10) }), response: { 200: json('The agent skill', out), ...commonErrors } } },
        async (request) => {
          const { extension, skill } = request.params;
          const existing = s().listAgentSkills(extension).some((a) => a.skill === skill);
          return change(() => (existing ? s().updateAgentSkill(extension, skill, request.body) : s().addAgentSkill({ extension, skill, ...request.body })));
        },
      );
      api.delete('/skills/agents/:extension/:skill', { schema: { tags: T, summary: 'Remove a skill from an agent', params: z.strictObject({ extension: id, skill: id }), response: { 200: json('Removed', out), ...commonErrors, 404: notFound('Not assigned') } } }, async (request) =>
        change(() => s().removeAgentSkill(request.params.extension, request.params.skill)),
      );

      api.get('/queues', { schema: { tags: T, summary: 'All queues', response: { 200: json('Queues', listOut), ...commonErrors } } }, async () => ({ items: s().listQueues() }));
      api.put(
        '/queues/:number',
        { schema: { tags: T, summary: 'Add or change a queue (strategy, fallbackToAny, noAgentStatus, ringTimeoutSeconds, maxAgents, proficiencyWeight)', params: z.strictObject({ number: id }), body, response: { 200: json('The queue', out), ...commonErrors } } },
        async (request) => {
          const { number } = request.params;
          return change(() => (s().isQueue(number) ? s().updateQueue(number, request.body) : s().addQueue({ ...request.body, number })));
        },
      );
      api.delete('/queues/:number', { schema: { tags: T, summary: 'Remove a queue and its requirements', params: z.strictObject({ number: id }), response: { 200: json('Removed', out), ...commonErrors, 404: notFound('No such queue') } } }, async (request) =>
        change(() => s().removeQueue(request.params.number)),
      );
      api.get('/queues/:number/requirements', { schema: { tags: T, summary: "A queue's skill requirements", params: z.strictObject({ number: id }), response: { 200: json('Requirements', listOut), ...commonErrors } } }, async (request) => ({
        items: read(() => s().listRequirements(request.params.number)),
      }));
      api.put(
        '/queues/:number/requirements/:skill',
        { schema: { tags: T, summary: 'Set a requirement: minProficiency, kind (required|preferred), relaxAfterSeconds, relaxedMinProficiency, relaxToPreferred', params: z.strictObject({ number: id, skill: id }), body, response: { 200: json('The requirement', out), ...commonErrors } } },
        async (request) => {
          const { number, skill } = request.params;
          const existing = s().listRequirements(number).some((r) => r.skill === skill);
          return change(() => (existing ? s().updateRequirement(number, skill, request.body) : s().addRequirement({ ...request.body, queue: number, skill })));
        },
      );
      api.delete('/queues/:number/requirements/:skill', { schema: { tags: T, summary: 'Remove a requirement', params: z.strictObject({ number: id, skill: id }), response: { 200: json('Removed', out), ...commonErrors, 404: notFound('No such requirement') } } }, async (request) =>
        change(() => s().removeRequirement(request.params.number, request.params.skill)),
      );
      api.get(
        '/queues/:number/dry-run',
        { schema: { tags: T, summary: 'Who would get a call to this queue now: ranked agents with scores and matched skills, and why others are excluded', params: z.strictObject({ number: id }), querystring: z.strictObject({ waited: z.coerce.number().int().min(0).max(86_400).default(0) }), response: { 200: json('Ranking', out), ...commonErrors, 404: notFound('No such queue') } } },
        async (request) => queueResult(request.params.number, s().dryRun(request.params.number, clock(), request.query.waited)),
      );

      api.get('/agents', { schema: { tags: T, summary: 'Live availability of every known agent', response: { 200: json('Agents', listOut), ...commonErrors } } }, async () => {
        const now = clock();
        const service = s();
        const known = new Set([...service.agents(), ...service.presence.extensions()]);
        return { items: [...known].sort().map((ext) => availability(service.presence.availability(ext, now, admin.isInDnd))) };
      });
      api.post('/agents/:extension/pause', { schema: { tags: T, summary: 'Pause an agent (no queue calls until unpaused)', params: z.strictObject({ extension: id }), body: z.strictObject({ note: z.string().max(200).optional() }).optional(), response: { 200: json('Paused', out), ...commonErrors } } }, async (request) =>
        read(() => s().presence.pause(request.params.extension, clock(), request.body?.note)),
      );
      api.delete('/agents/:extension/pause', { schema: { tags: T, summary: 'Unpause an agent', params: z.strictObject({ extension: id }), response: { 200: json('Unpaused', out), ...commonErrors, 404: notFound('Not paused') } } }, async (request) => {
        if (!s().presence.unpause(request.params.extension)) throw new ApiError(404, 'not-found', `${request.params.extension} is not paused`);
        return { extension: request.params.extension, paused: false };
      });
    },
  };
}
