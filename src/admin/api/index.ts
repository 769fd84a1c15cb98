/**
 * The admin HTTP API (/api/v1): blocks, block history, address check, summary, events,
 * allowlist, status, and the OpenAPI document generated from the route schemas.
 *
 * registerApi is handed to createAdminServer({ registerApi }) and runs on the root instance
 * before it is ready. It installs, for the whole listener:
 *   - a JSON error handler (no stack traces; validation errors name the field),
 *   - a JSON 404 handler that answers 405 + Allow for known paths,
 *   - access control (bearer tokens, roles, brute-force blocking; /metrics and /healthz per policy),
 * and registers the routes under /api/v1 with zod validation and serialization.
 *
 * Everything here is synchronous on purpose: nothing may let Fastify boot before the
 * handlers above are installed.
 */
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { BearerTokens } from '../auth.js';
import { installAccessControl } from './access.js';
import type { ApiDeps } from './deps.js';
import { installErrorHandling } from './errors.js';
import { allowlistRoutes } from './routes/allowlist.js';
import { blockRoutes } from './routes/blocks.js';
import { securityRoutes } from './routes/security.js';
import { statusRoutes } from './routes/status.js';

export type { ApiDeps, ApiFeature } from './deps.js';
export type { ApiInstance } from './routes/types.js';
export const API_PREFIX = '/api/v1';

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const tokens = new BearerTokens(deps.tokens);
  if (tokens.size === 0) deps.logger.warn('admin_api.tokens is empty: every /api request will be refused (create one with `sipwarden hash-token`)');

  installErrorHandling(app);
  installAccessControl(app, {
    clock: deps.clock,
    tokens,
    guard: deps.adminAuthGuard,
    metricsAuth: deps.metricsAuth,
    healthAuth: deps.healthAuth,
    ...(deps.sessions ? { sessions: deps.sessions } : {}),
  });

  // Registered before the routes: it collects them through an onRoute hook.
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'sipwarden admin API',
        description: 'Blocks, security events, allowlist and status of a sipwarden SIP-edge security proxy.',
        version: deps.version,
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'security', description: 'blocks, address checks, events' },
        { name: 'allowlist', description: 'trusted networks' },
        { name: 'status', description: 'daemon status and this document' },
        ...(deps.features ?? []).map((f) => ({ ...f.tag })),
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  void app.register(
    async (instance) => {
      instance.setValidatorCompiler(validatorCompiler);
      instance.setSerializerCompiler(serializerCompiler);
      const api = instance.withTypeProvider<ZodTypeProvider>();
      blockRoutes(api, deps);
      securityRoutes(api, deps);
      allowlistRoutes(api, deps);
      statusRoutes(api, deps);
      for (const feature of deps.features ?? []) feature.register(api);
    },
    { prefix: API_PREFIX },
  );
}
