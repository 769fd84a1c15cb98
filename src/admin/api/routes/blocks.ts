/**
 * /api/v1/security/blocks: add, lift and list blocks; block history.
 */
import { z } from 'zod';
import type { Block } from '../../../guard/block.js';
import { NetworkSet } from '../../../net/ip.js';
import { principalOf, sourceIp } from '../access.js';
import type { ApiDeps, HistoricalBlock } from '../deps.js';
import { ApiError } from '../errors.js';
import {
  blockSchema,
  blockSourceSchema,
  commonErrors,
  conflict,
  durationSchema,
  historicalBlockSchema,
  instantSchema,
  iso,
  isoOrNull,
  json,
  notFound,
  pageSchema,
  paginationShape,
  targetSchema,
} from '../schemas.js';
import type { ApiInstance } from './types.js';

export function blockOut(block: Block): z.output<typeof blockSchema> {
  return {
    target: block.target,
    source: block.source,
    reason: block.reason,
    createdAt: iso(block.createdAt),
    expiresAt: isoOrNull(block.expiresAt),
    permanent: block.expiresAt === null,
    offence: block.offence,
  };
}

function historicalOut(block: HistoricalBlock): z.output<typeof historicalBlockSchema> {
  return { ...blockOut(block), liftedAt: isoOrNull(block.liftedAt) };
}

const createBody = z
  .strictObject({
    target: targetSchema,
    reason: z.string().trim().min(1).max(500).optional().meta({ description: 'shown in logs, events and the block list' }),
    duration: durationSchema.optional(),
    permanent: z.boolean().optional().meta({ description: 'true: never expires (not with duration)' }),
  })
  .superRefine((body, ctx) => {
    if (body.permanent === true && body.duration !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['permanent'], message: 'give either duration or permanent: true, not both' });
    }
  });

const TAG = ['security'];

export function blockRoutes(api: ApiInstance, deps: ApiDeps): void {
  const { clock, blocklist, blockWrites, blockHistory, events, allowlist, logger } = deps;

  api.post(
    '/security/blocks',
    {
      schema: {
        tags: TAG,
        summary: 'Block an IP address or CIDR range',
        description:
          'The block is written to the database before the answer: an acknowledged block survives a crash. ' +
          'Without duration or permanent, the configured default duration applies.',
        body: createBody,
        response: { 201: json('The block, in effect and on disk', blockSchema), ...commonErrors, 409: conflict('The address is trusted (allowlist) and would never be blocked, or it is the caller\'s own') },
      },
    },
    async (request, reply) => {
      const now = clock();
      const { target, reason, duration, permanent } = request.body;
      const actor = principalOf(request)?.name ?? 'unknown';
      if (!target.includes('/') && allowlist.isTrusted(target)) {
        throw new ApiError(409, 'conflict', `${target} is in a trusted network and would never be blocked; remove it from the allowlist first`);
      }
      // A manual block also closes the admin API to its addresses: never lock out the caller.
      const caller = sourceIp(request);
      if (caller !== null && new NetworkSet([target]).match(caller) !== null) {
        throw new ApiError(409, 'conflict', `${target} covers your own address ${caller}: blocking it would lock you out of this API`);
      }
      const durationMs = permanent === true ? null : (duration ?? deps.defaultBlockDurationMs);
      const block = blocklist.block({ target, source: 'manual', reason: reason ?? `blocked by ${actor}`, durationMs }, now);
      // Acknowledge only what is on disk.
      blockWrites.flush();
      events.record({
        type: 'block',
        severity: 'medium',
        ip: block.target,
        username: null,
        method: null,
        details: { source: 'manual', reason: block.reason, actor, expiresAt: block.expiresAt === null ? null : new Date(block.expiresAt).toISOString() },
        at: now,
      });
      logger.info({ actor, target: block.target, expiresAt: block.expiresAt, reason: block.reason }, 'admin API: block added');
      return reply.code(201).send(blockOut(block));
    },
  );

  api.delete(
    '/security/blocks/:target',
    {
      schema: {
        tags: TAG,
        summary: 'Lift the active block of an IP address or CIDR range',
        params: z.strictObject({ target: targetSchema }),
        response: {
          200: json('Lifted', z.object({ target: z.string(), unblocked: z.literal(true) })),
          ...commonErrors,
          404: notFound('No active block for this exact target'),
        },
      },
    },
    async (request) => {
      const now = clock();
      const { target } = request.params;
      const actor = principalOf(request)?.name ?? 'unknown';
      if (!blocklist.unblock(target, now)) throw new ApiError(404, 'not-found', `no active block for ${target}`);
      blockWrites.flush();
      events.record({ type: 'unblock', severity: 'info', ip: target, username: null, method: null, details: { actor }, at: now });
      logger.info({ actor, target }, 'admin API: block lifted');
      return { target, unblocked: true as const };
    },
  );

  api.get(
    '/security/blocks',
    {
      schema: {
        tags: TAG,
        summary: 'Active blocks, newest first',
        querystring: z.strictObject({ source: blockSourceSchema.optional(), ...paginationShape }),
        response: { 200: json('One page of active blocks', pageSchema(blockSchema)), ...commonErrors },
      },
    },
    async (request) => {
      const { source, limit, offset } = request.query;
      const active = blocklist
        .active(clock())
        .filter((b) => source === undefined || b.source === source)
        .sort((a, b) => b.createdAt - a.createdAt || a.target.localeCompare(b.target));
      return { total: active.length, limit, offset, items: active.slice(offset, offset + limit).map(blockOut) };
    },
  );

  api.get(
    '/security/blocks/history',
    {
      schema: {
        tags: TAG,
        summary: 'Every block ever made (active, expired and lifted), newest first',
        querystring: z
          .strictObject({
            target: targetSchema.optional(),
            source: blockSourceSchema.optional(),
            since: instantSchema.optional(),
            until: instantSchema.optional(),
            ...paginationShape,
          })
          .superRefine(sinceBeforeUntil),
        response: { 200: json('One page of the block history', pageSchema(historicalBlockSchema)), ...commonErrors },
      },
    },
    async (request) => {
      const { target, source, since, until, limit, offset } = request.query;
      blockWrites.flush();
      const page = blockHistory.history({
        limit,
        offset,
        ...(target === undefined ? {} : { target }),
        ...(source === undefined ? {} : { source }),
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
      });
      return { total: page.total, limit, offset, items: page.items.map(historicalOut) };
    },
  );
}

export function sinceBeforeUntil(query: { since?: number | undefined; until?: number | undefined }, ctx: z.RefinementCtx): void {
  if (query.since !== undefined && query.until !== undefined && query.since > query.until) {
    ctx.addIssue({ code: 'custom', path: ['until'], message: 'until is before since' });
  }
}
