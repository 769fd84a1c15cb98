/**
 * The admin HTTP listener: /healthz, /metrics and (under /api/v1) the admin API.
 * Fastify gives us routing, schema validation, body limits and 404/405 handling.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export interface HealthState {
  readonly drachtioConnected: boolean;
  readonly databaseWritable: boolean;
}

export interface AdminServerDeps {
  readonly logger: Logger;
  readonly health: () => HealthState;
  readonly renderMetrics: () => Promise<{ contentType: string; body: string }>;
  /** Adds the /api/v1 routes (admin API); absent in builds without it. */
  readonly registerApi?: (app: FastifyInstance) => Promise<void> | void;
  readonly bodyLimitBytes?: number;
}

export async function createAdminServer(deps: AdminServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is what Fastify's base logger interface describes; name it so the instance type stays the default one.
    // Per-request lines are info level: the admin listener logs warnings and errors only.
    loggerInstance: deps.logger.child({ component: 'admin' }, { level: deps.logger.level === 'silent' ? 'silent' : 'warn' }) as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes ?? 64 * 1024,
    return503OnClosing: true,
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Cache-Control', 'no-store');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    return payload;
  });

  app.get('/healthz', async (_req, reply) => {
    const state = deps.health();
    const ready = state.drachtioConnected && state.databaseWritable;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ok' : 'not-ready',
      drachtio: { connected: state.drachtioConnected },
      database: { writable: state.databaseWritable },
    });
  });

  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await deps.renderMetrics();
    return reply.type(contentType).send(body);
  });

  if (deps.registerApi) await deps.registerApi(app);
  return app;
}
