/**
 * /api/v1/security/check/:ip, /security/summary and /security/events: what sipwarden knows.
 */
import { z } from 'zod';
import type { EventType } from '../../../events.js';
import type { ApiDeps, StoredEvent } from '../deps.js';
import {
  commonErrors,
  eventSchema,
  eventSeveritySchema,
  EVENT_TYPES,
  instantSchema,
  ipSchema,
  iso,
  isoOrNull,
  json,
  pageSchema,
  paginationShape,
} from '../schemas.js';
import { sinceBeforeUntil } from './blocks.js';
import type { ApiInstance } from './types.js';

const TAG = ['security'];
const RECENT_EVENTS = 20;

export function eventOut(event: StoredEvent): z.output<typeof eventSchema> {
  return {
    ...(event.id === undefined ? {} : { id: event.id }),
    type: event.type,
    severity: event.severity,
    ip: event.ip,
    username: event.username,
    method: event.method,
    details: { ...event.details },
    at: iso(event.at),
  };
}

/** "scanner" or "auth-failure,enumeration" -> event types. */
const eventTypesSchema = z
  .string()
  .max(1000)
  .transform((value, ctx) => {
    const names = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const known = new Set<string>(EVENT_TYPES);
    const unknown = names.filter((n) => !known.has(n));
    if (names.length === 0 || unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown event type ${JSON.stringify(unknown[0] ?? value)} (one or more of: ${EVENT_TYPES.join(', ')}, comma-separated)` });
      return z.NEVER;
    }
    return [...new Set(names)] as EventType[];
  })
  .meta({ description: `event type, or several comma-separated: ${EVENT_TYPES.join(', ')}` });

const threatSchema = z.object({
  score: z.number(),
  signals: z.array(z.unknown()),
});

export const checkSchema = z.object({
  ip: z.string(),
  blocked: z.boolean(),
  block: z
    .object({ target: z.string(), reason: z.string(), source: z.string(), createdAt: z.string(), expiresAt: z.string().nullable() })
    .optional()
    .meta({ description: 'the active block covering this address (the address itself or a range)' }),
  trusted: z.boolean(),
  threatScore: z.number(),
  signals: threatSchema.shape.signals,
  recentEvents: z.array(eventSchema),
});

export const summarySchema = z.object({
  since: z.string(),
  until: z.string(),
  hours: z.number().int(),
  blockedIps: z.object({
    active: z.number().int(),
    activeBySource: z.record(z.string(), z.number().int()),
    newInPeriod: z.number().int(),
  }),
  failedAuths: z.number().int(),
  scannerHits: z.number().int(),
  floods: z.number().int(),
  adminAuthFailures: z.number().int(),
  eventsByType: z.record(z.string(), z.number().int()),
  topIps: z.array(z.object({ ip: z.string(), count: z.number().int() })),
  topUsernames: z.array(z.object({ username: z.string(), count: z.number().int() })),
});

export function securityRoutes(api: ApiInstance, deps: ApiDeps): void {
  const { clock, blocklist, blockWrites, blockHistory, events, threat, allowlist } = deps;

  api.get(
    '/security/check/:ip',
    {
      schema: {
        tags: TAG,
        summary: 'Everything known about one address: block, trust, threat score, recent events',
        params: z.strictObject({ ip: ipSchema }),
        response: { 200: json('What sipwarden knows about the address', checkSchema), ...commonErrors },
      },
    },
    async (request) => {
      const now = clock();
      const { ip } = request.params;
      const block = blocklist.find(ip, now);
      const { score, signals } = threat.score(ip, now);
      events.flush();
      const recent = events.query({ ip, limit: RECENT_EVENTS, offset: 0 }).items;
      return {
        ip,
        blocked: block !== null,
        ...(block === null
          ? {}
          : { block: { target: block.target, reason: block.reason, source: block.source, createdAt: iso(block.createdAt), expiresAt: isoOrNull(block.expiresAt) } }),
        trusted: allowlist.isTrusted(ip),
        threatScore: score,
        signals: [...signals],
        recentEvents: recent.map(eventOut),
      };
    },
  );

  api.get(
    '/security/summary',
    {
      schema: {
        tags: TAG,
        summary: 'Counts and top offenders over the last hours',
        querystring: z.strictObject({
          hours: z.coerce.number().int().min(1).max(24 * 90).default(24).meta({ description: 'period, in hours back from now (1-2160)' }),
          top: z.coerce.number().int().min(1).max(100).default(10).meta({ description: 'length of the top lists' }),
        }),
        response: { 200: json('Counts over the period', summarySchema), ...commonErrors },
      },
    },
    async (request) => {
      const { hours, top } = request.query;
      const now = clock();
      const since = now - hours * 3_600_000;
      events.flush();
      blockWrites.flush();
      const counts = events.countsByType(since);
      const active = blocklist.active(now);
      const activeBySource: Record<string, number> = {};
      for (const b of active) activeBySource[b.source] = (activeBySource[b.source] ?? 0) + 1;
      const eventsByType: Record<string, number> = {};
      for (const [type, n] of Object.entries(counts)) if (typeof n === 'number' && n > 0) eventsByType[type] = n;
      return {
        since: iso(since),
        until: iso(now),
        hours,
        blockedIps: { active: active.length, activeBySource, newInPeriod: blockHistory.history({ since, limit: 1, offset: 0 }).total },
        failedAuths: counts['auth-failure'] ?? 0,
        scannerHits: counts.scanner ?? 0,
        floods: counts.flood ?? 0,
        adminAuthFailures: counts['admin-auth-failure'] ?? 0,
        eventsByType,
        topIps: events.topIps(since, top).map(({ ip, count }) => ({ ip, count })),
        topUsernames: events.topUsernames(since, top).map(({ username, count }) => ({ username, count })),
      };
    },
  );

  api.get(
    '/security/events',
    {
      schema: {
        tags: TAG,
        summary: 'Security events, newest first',
        querystring: z
          .strictObject({
            type: eventTypesSchema.optional(),
            severity: eventSeveritySchema.optional(),
            ip: ipSchema.optional(),
            username: z.string().min(1).max(256).optional(),
            since: instantSchema.optional(),
            until: instantSchema.optional(),
            ...paginationShape,
          })
          .superRefine(sinceBeforeUntil),
        response: { 200: json('One page of events', pageSchema(eventSchema)), ...commonErrors },
      },
    },
    async (request) => {
      const { type, severity, ip, username, since, until, limit, offset } = request.query;
      events.flush();
      const page = events.query({
        limit,
        offset,
        ...(type === undefined ? {} : type.length === 1 && type[0] !== undefined ? { type: type[0] } : { types: type }),
        ...(severity === undefined ? {} : { severity }),
        ...(ip === undefined ? {} : { ip }),
        ...(username === undefined ? {} : { username }),
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
      });
      return { total: page.total, limit, offset, items: page.items.map(eventOut) };
    },
  );
}
