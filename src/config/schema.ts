/**
 * The configuration schema: every option, its type, its default. Keys are snake_case as in the
 * YAML file; durations are parsed into milliseconds. Unknown keys are errors (strict objects),
 * so a typo never silently falls back to a default.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import type { SignatureField } from '../guard/signatures.js';
import { normalizeTarget } from '../net/ip.js';
import { duration } from './duration.js';
import { adminApiSection } from './sections/admin-api.js';
import { dndSection } from './sections/dnd.js';
import { mfaSection } from './sections/mfa.js';
import { redisSection } from './sections/redis.js';
import { routingSection } from './sections/routing.js';

const port = z.number().int().min(1).max(65_535);
const portOrZero = z.number().int().min(0).max(65_535);
const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

const host = z
  .string()
  .trim()
  .refine((h) => isIP(h.replace(/^\[|\]$/g, '')) !== 0 || HOSTNAME.test(h), { message: 'must be an IP address or a host name' })
  .transform((h) => h.replace(/^\[|\]$/g, ''));

/** An IP address or CIDR range, normalised ("192.0.2.7/24" -> "192.0.2.0/24"). */
export const network = z.string().transform((value, ctx) => {
  const normal = normalizeTarget(value);
  if (normal === null) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not an IP address or CIDR range (e.g. 192.0.2.0/24, 2001:db8::/32)` });
    return z.NEVER;
  }
  return normal;
});

const METHOD = /^[A-Z]+$/;

const rateLimit = z.strictObject({
  max_requests: z.number().int().min(1),
  window: duration(),
});

const drachtio = z.strictObject({
  /** inbound: sipwarden dials drachtio-server; outbound: drachtio-server dials sipwarden. */
  mode: z.enum(['inbound', 'outbound']).default('inbound'),
  host: host.default('127.0.0.1'),
  port: port.default(9022),
  secret: z.string().min(1).default('cymru'),
  listen_host: host.default('127.0.0.1'),
  listen_port: port.default(9023),
  reconnect_max_delay: duration().default(30_000),
});

const pbx = z.strictObject({
  host: host.default('127.0.0.1'),
  port: port.default(5060),
  transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
  record_route: z.boolean().default(true),
  final_timeout: duration().default(32_000),
});

const escalation = z.strictObject({
  enabled: z.boolean().default(true),
  factor: z.number().min(1).max(100).default(2),
  max_duration: duration().default(604_800_000),
  lookback: duration().default(30 * 86_400_000),
});

const blocking = z.strictObject({
  /** reject: answer blocked sources; silent: send nothing (they see a dead address). */
  action: z.enum(['reject', 'silent']).default('reject'),
  status: z.number().int().min(400).max(699).default(403),
  reason: z.string().min(1).max(128).regex(/^[^\r\n]+$/, 'must be one line').default('Forbidden'),
  escalation: escalation.prefault({}),
  sweep_interval: duration().default(10_000),
});

const flood = z.strictObject({
  enabled: z.boolean().default(true),
  max_requests: z.number().int().min(1).default(30),
  window: duration().default(2000),
  block_for: duration().default(300_000),
  methods: z
    .record(z.string().regex(METHOD, 'method names are upper case, e.g. REGISTER'), rateLimit)
    .default({}),
  max_tracked_sources: z.number().int().min(100).default(100_000),
});

const signatureRule = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[\w.-]+$/, 'use letters, digits, ".", "_", "-"'),
  header: z
    .string()
    .regex(/^(user-agent|from-user|from-host|to-user|to-host|request-uri-user|contact|header:[A-Za-z0-9-]+)$/, 'one of user-agent, from-user, from-host, to-user, to-host, request-uri-user, contact, header:<Name>')
    .transform((h) => h as SignatureField),
  match: z.enum(['contains', 'equals', 'word', 'regex']).default('contains'),
  pattern: z.string().min(1).max(256),
  case_sensitive: z.boolean().default(false),
  description: z.string().optional(),
});

const scanners = z.strictObject({
  enabled: z.boolean().default(true),
  /** The built-in signatures from the scanner signature list. */
  use_default_rules: z.boolean().default(true),
  disabled_rules: z.array(z.string()).default([]),
  /** Built-in rules that are off by default (sipsak) and should be on. */
  enabled_rules: z.array(z.string()).default([]),
  rules: z.array(signatureRule).default([]),
  block_after: z.number().int().min(1).default(1),
  block_for: duration().default(86_400_000),
  max_tracked_sources: z.number().int().min(100).default(100_000),
});

const authFailures = z.strictObject({
  enabled: z.boolean().default(true),
  max_failures: z.number().int().min(1).default(10),
  window: duration().default(3_600_000),
  block_for: duration().default(3_600_000),
  enumeration: z
    .strictObject({ max_usernames: z.number().int().min(2).default(5), window: duration().default(600_000) })
    .prefault({}),
  distributed: z
    .strictObject({ max_sources: z.number().int().min(2).default(10), window: duration().default(600_000) })
    .prefault({}),
  max_tracked: z.number().int().min(100).default(100_000),
});

export const configSchema = z.strictObject({
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  drachtio: drachtio.prefault({}),
  pbx: pbx.prefault({}),
  trusted_networks: z.array(network).default([]),
  database: z.strictObject({ path: z.string().min(1).default('./var/sipwarden.db') }).prefault({}),
  admin: z
    .strictObject({
      host: host.default('127.0.0.1'),
      port: portOrZero.default(8080),
      body_limit_bytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
    })
    .prefault({}),
  admin_api: adminApiSection.prefault({}),
  events: z
    .strictObject({
      retention_days: z.number().int().min(1).max(3650).default(30),
      prune_interval: duration().default(3_600_000),
    })
    .prefault({}),
  blocking: blocking.prefault({}),
  flood: flood.prefault({}),
  scanners: scanners.prefault({}),
  auth_failures: authFailures.prefault({}),
  dnd: dndSection.prefault({}),
  routing: routingSection.prefault({}),
  mfa: mfaSection.prefault({}),
  redis: redisSection.prefault({}),
});

export type Config = z.output<typeof configSchema>;
export type SignatureRuleConfig = z.output<typeof signatureRule>;
