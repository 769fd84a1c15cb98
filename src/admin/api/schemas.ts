/**
 * Zod schemas shared by the admin API routes: inputs (validated and normalised)
 * and outputs (what the OpenAPI document describes and the serializer enforces).
 *
 * Output schemas carry no transforms: the serializer encodes responses through them.
 */
import { z } from 'zod';
import type { EventSeverity, EventType } from '../../events.js';
import type { BlockSource } from '../../guard/block.js';
import { normalizeCidr, normalizeIp, normalizeTarget } from '../../net/ip.js';

// ---------------------------------------------------------------- enumerations

export const BLOCK_SOURCES = ['manual', 'flood', 'scanner', 'auth-failures', 'enumeration', 'admin-auth'] as const satisfies readonly BlockSource[];
export const EVENT_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const satisfies readonly EventSeverity[];
export const EVENT_TYPES = [
  'block',
  'unblock',
  'block-expired',
  'scanner',
  'flood',
  'auth-failure',
  'auth-failure-threshold',
  'enumeration',
  'distributed-auth-failures',
  'blocked-request',
  'dnd',
  'queue-routed',
  'queue-unavailable',
  'admin-auth-failure',
  'mfa-enroll',
  'mfa-activate',
  'mfa-success',
  'mfa-failure',
  'mfa-lockout',
  'mfa-disable',
  'config-reload',
] as const satisfies readonly EventType[];

// Compile-time: the lists above name every member of the unions (adding one there fails here).
type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : never;
const sourcesExhaustive: Exhaustive<BlockSource, (typeof BLOCK_SOURCES)[number]> = true;
const typesExhaustive: Exhaustive<EventType, (typeof EVENT_TYPES)[number]> = true;
const severitiesExhaustive: Exhaustive<EventSeverity, (typeof EVENT_SEVERITIES)[number]> = true;
void [sourcesExhaustive, typesExhaustive, severitiesExhaustive];

export const blockSourceSchema = z.enum(BLOCK_SOURCES);
export const eventTypeSchema = z.enum(EVENT_TYPES);
export const eventSeveritySchema = z.enum(EVENT_SEVERITIES);

// ---------------------------------------------------------------- addresses

export const ipSchema = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const ip = normalizeIp(value);
    if (ip === null) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not an IPv4 or IPv6 address` });
      return z.NEVER;
    }
    return ip;
  })
  .meta({ description: 'IPv4 or IPv6 address', examples: ['192.0.2.7', '2001:db8::1'] });

export const targetSchema = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const target = normalizeTarget(value);
    if (target === null) {
      ctx.addIssue({
        code: 'custom',
        message: value.includes('/')
          ? `${JSON.stringify(value)} is not a CIDR range (e.g. 192.0.2.0/24, 2001:db8::/32)`
          : `${JSON.stringify(value)} is not an IPv4 or IPv6 address`,
      });
      return z.NEVER;
    }
    return target;
  })
  .meta({ description: 'IP address or CIDR range (URL-encode the "/" in a path)', examples: ['192.0.2.7', '198.51.100.0/24', '2001:db8::/32'] });

/** A network for the allowlist: a CIDR range or a single address (kept as /32 or /128). */
export const networkSchema = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const cidr = value.includes('/') ? normalizeCidr(value) : normalizeIp(value);
    if (cidr === null) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not an IP address or CIDR range` });
      return z.NEVER;
    }
    return cidr.includes('/') ? cidr : `${cidr}/${cidr.includes(':') ? 128 : 32}`;
  })
  .meta({ description: 'CIDR range or single IP address', examples: ['10.0.0.0/8', '192.0.2.10', '2001:db8:1::/48'] });

// ---------------------------------------------------------------- time

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
export const MAX_BLOCK_DURATION_MS = 10 * 365 * 86_400_000;

/** A duration given as seconds (number or digit string) or with a unit ("90s", "30m", "2h", "7d", "1w"). */
export const durationSchema = z
  .union([z.number(), z.string().max(32)])
  .transform((value, ctx) => {
    let ms: number | null = null;
    if (typeof value === 'number') {
      if (Number.isInteger(value)) ms = value * 1000;
    } else {
      const match = /^(\d{1,12})(s|m|h|d|w)?$/.exec(value.trim());
      if (match?.[1] !== undefined) ms = Number(match[1]) * (match[2] === undefined ? 1000 : (DURATION_UNITS[match[2]] ?? Number.NaN));
    }
    if (ms === null || !Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a duration (seconds, or a number with a unit: 90s, 30m, 2h, 7d, 1w)` });
      return z.NEVER;
    }
    if (ms < 1000 || ms > MAX_BLOCK_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is out of range (1 second to 10 years)` });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'Seconds (integer), or a number with a unit: s, m, h, d, w', examples: ['2h', 3600, '7d'] });

/** A point in time: ISO 8601 date-time (with offset) or milliseconds since the epoch. */
export const instantSchema = z
  .string()
  .max(40)
  .transform((value, ctx) => {
    const ms = /^\d{1,15}$/.test(value) ? Number(value) : z.iso.datetime({ offset: true }).safeParse(value).success ? Date.parse(value) : Number.NaN;
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a time (ISO 8601 like 2026-01-31T12:00:00Z, or epoch milliseconds)` });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'ISO 8601 date-time, or milliseconds since the epoch', examples: ['2026-01-31T12:00:00Z'] });

export const paginationShape = {
  limit: z.coerce.number().int().min(1).max(500).default(50).meta({ description: 'page size (1-500)' }),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0).meta({ description: 'items to skip' }),
};

/** Milliseconds -> ISO 8601 (responses). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : iso(ms);
}

// ---------------------------------------------------------------- outputs

export const errorSchema = z
  .object({
    error: z.string().meta({ description: 'machine-readable kind: bad-request, unauthorized, forbidden, not-found, conflict, ...' }),
    message: z.string(),
  })
  .meta({ id: 'Error' });

export const blockSchema = z
  .object({
    target: z.string(),
    source: blockSourceSchema,
    reason: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable().meta({ description: 'null: permanent' }),
    permanent: z.boolean(),
    offence: z.number().int().meta({ description: 'earlier blocks of this target in the escalation look-back' }),
  })
  .meta({ id: 'Block' });

export const historicalBlockSchema = blockSchema
  .extend({ liftedAt: z.string().nullable().meta({ description: 'when it was lifted before its expiry, if it was' }) })
  .meta({ id: 'HistoricalBlock' });

export const eventSchema = z
  .object({
    id: z.number().int().optional(),
    type: eventTypeSchema,
    severity: eventSeveritySchema,
    ip: z.string().nullable(),
    username: z.string().nullable(),
    method: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    at: z.string(),
  })
  .meta({ id: 'SecurityEvent' });

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ total: z.number().int(), limit: z.number().int(), offset: z.number().int(), items: z.array(item) });
}

/** A JSON response with its description (shown in the OpenAPI document). */
export function json<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { 'application/json': { schema } } };
}

/** The error responses every authenticated route can give. */
export const commonErrors = {
  400: json('Invalid parameter, query or body; the message names the field', errorSchema),
  401: json('Missing or invalid bearer token (counted as a failed login for the source address)', errorSchema),
  403: json('The source address is blocked, or the token role does not allow this method', errorSchema),
};

export const notFound = (what: string) => json(what, errorSchema);
export const conflict = (what: string) => json(what, errorSchema);
