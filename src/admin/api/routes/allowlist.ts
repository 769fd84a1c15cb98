/**
 * /api/v1/allowlist: trusted networks added at run time (persisted, applied live),
 * listed together with the ones from the config file (which cannot be removed here).
 */
import { z } from 'zod';
import { principalOf } from '../access.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { normalizeCidr, normalizeIp } from '../../../net/ip.js';
import { commonErrors, conflict, isoOrNull, json, networkSchema, notFound } from '../schemas.js';
import type { ApiInstance } from './types.js';

const TAG = ['allowlist'];

const entrySchema = z
  .object({
    cidr: z.string(),
    note: z.string().nullable(),
    origin: z.enum(['config', 'runtime']).meta({ description: 'config: from the config file (read-only here); runtime: added through the API' }),
    createdAt: z.string().nullable(),
  })
  .meta({ id: 'TrustedNetwork' });

/** Config entries as networks where they are addresses ("192.0.2.1" -> "192.0.2.1/32"); host names stay as written. */
function canonicalNetwork(entry: string): string {
  const cidr = entry.includes('/') ? normalizeCidr(entry) : normalizeIp(entry);
  if (cidr === null) return entry;
  return cidr.includes('/') ? cidr : `${cidr}/${cidr.includes(':') ? 128 : 32}`;
}

export function allowlistRoutes(api: ApiInstance, deps: ApiDeps): void {
  const { clock, allowlist, trustedNetworks, logger } = deps;
  const configured = [...new Set(deps.configuredTrustedNetworks.map(canonicalNetwork))];
  const isConfigured = (cidr: string): boolean => configured.includes(cidr);
  const runtimeEntry = (cidr: string) => trustedNetworks.list().find((n) => canonicalNetwork(n.cidr) === cidr) ?? null;

  api.get(
    '/allowlist',
    {
      schema: {
        tags: TAG,
        summary: 'Trusted networks (never blocked): from the config file and added at run time',
        response: { 200: json('Configured and run-time trusted networks', z.object({ items: z.array(entrySchema) })), ...commonErrors },
      },
    },
    async () => ({
      items: [
        ...configured.map((cidr) => ({ cidr, note: null, origin: 'config' as const, createdAt: null })),
        ...trustedNetworks
          .list()
          .filter((n) => !isConfigured(canonicalNetwork(n.cidr)))
          .map((n) => ({ cidr: n.cidr, note: n.note, origin: 'runtime' as const, createdAt: isoOrNull(n.createdAt) })),
      ],
    }),
  );

  api.post(
    '/allowlist',
    {
      schema: {
        tags: TAG,
        summary: 'Trust a network: persisted, and applied to new SIP requests at once',
        body: z.strictObject({ cidr: networkSchema, note: z.string().trim().min(1).max(200).optional() }),
        response: { 201: json('Added and in effect', entrySchema), ...commonErrors, 409: conflict('Already trusted (by the config file or at run time)') },
      },
    },
    async (request, reply) => {
      const now = clock();
      const { cidr, note } = request.body;
      const actor = principalOf(request)?.name ?? 'unknown';
      if (isConfigured(cidr)) throw new ApiError(409, 'conflict', `${cidr} is already trusted by the config file`);
      if (runtimeEntry(cidr) !== null) throw new ApiError(409, 'conflict', `${cidr} is already in the allowlist`);
      // Durable first: if the write fails, nothing changed.
      trustedNetworks.add(cidr, note ?? null, now);
      allowlist.add(cidr);
      logger.info({ actor, cidr, note }, 'admin API: trusted network added');
      const stored = runtimeEntry(cidr);
      return reply.code(201).send({ cidr, note: note ?? null, origin: 'runtime' as const, createdAt: isoOrNull(stored?.createdAt ?? now) });
    },
  );

  api.delete(
    '/allowlist/:cidr',
    {
      schema: {
        tags: TAG,
        summary: 'Stop trusting a network added at run time (URL-encode the "/")',
        params: z.strictObject({ cidr: networkSchema }),
        response: {
          200: json('Removed', z.object({ cidr: z.string(), removed: z.literal(true) })),
          ...commonErrors,
          404: notFound('Not in the run-time allowlist'),
          409: conflict('Trusted by the config file: remove it there'),
        },
      },
    },
    async (request) => {
      const { cidr } = request.params;
      const actor = principalOf(request)?.name ?? 'unknown';
      if (isConfigured(cidr)) throw new ApiError(409, 'conflict', `${cidr} is trusted by the config file; remove it there`);
      const entry = runtimeEntry(cidr);
      if (entry === null) throw new ApiError(404, 'not-found', `${cidr} is not in the run-time allowlist`);
      trustedNetworks.remove(entry.cidr);
      allowlist.remove(entry.cidr);
      logger.info({ actor, cidr }, 'admin API: trusted network removed');
      return { cidr, removed: true as const };
    },
  );
}
