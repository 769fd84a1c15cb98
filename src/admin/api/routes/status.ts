/**
 * /api/v1/status and /api/v1/openapi.json.
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { commonErrors, iso, json } from '../schemas.js';
import type { ApiInstance } from './types.js';

export const statusSchema = z.object({
  version: z.string(),
  startedAt: z.string(),
  uptimeSeconds: z.number().int(),
  drachtioConnected: z.boolean(),
  databaseWritable: z.boolean(),
  activeBlocks: z.number().int(),
});

export function statusRoutes(api: ApiInstance, deps: ApiDeps): void {
  api.get(
    '/status',
    {
      schema: { tags: ['status'], summary: 'Version, uptime, drachtio connection, active blocks', response: { 200: json('Daemon status', statusSchema), ...commonErrors } },
    },
    async () => {
      const now = deps.clock();
      const status = deps.status();
      return {
        version: deps.version,
        startedAt: iso(status.startedAt),
        uptimeSeconds: Math.max(0, Math.floor((now - status.startedAt) / 1000)),
        drachtioConnected: status.drachtioConnected,
        databaseWritable: status.databaseWritable,
        activeBlocks: deps.blocklist.active(now).length,
      };
    },
  );

  api.get(
    '/openapi.json',
    {
      schema: {
        tags: ['status'],
        summary: 'This API, as an OpenAPI 3.1 document generated from the route schemas',
        response: {
          200: json('OpenAPI 3.1 document', z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) })),
          ...commonErrors,
        },
      },
    },
    async () => api.swagger() as unknown as { openapi: string; info: Record<string, unknown>; paths: Record<string, unknown> },
  );
}
