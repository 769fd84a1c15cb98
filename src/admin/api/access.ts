/**
 * Access control for the admin listener, as one onRequest hook on the root instance:
 *
 * - /api/...: the source IP must not be blocked (403), the bearer token must be valid
 *   (401 + WWW-Authenticate, counted as a failed login for the IP) and its role must
 *   allow the method (403);
 * - /metrics and /healthz: the same, when their policy is "token" (any role).
 *
 * The source IP is the TCP peer, never a header (X-Forwarded-For is not trusted).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import { roleAllows, type AdminAuthGuard, type AdminSessions, type BearerTokens, type Principal } from '../auth.js';
import type { EndpointAuth } from './deps.js';
import { peerAddress } from '../../net/ip.js';

export interface AccessOptions {
  readonly clock: Clock;
  readonly tokens: BearerTokens;
  readonly guard: AdminAuthGuard;
  readonly metricsAuth: EndpointAuth;
  readonly healthAuth: EndpointAuth;
  /** Session tokens of logged-in admin users, when admin login is enabled. */
  readonly sessions?: AdminSessions;
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** Who made this (authenticated) request. */
export function principalOf(request: FastifyRequest): Principal | null {
  return principals.get(request) ?? null;
}

/** The canonical source IP of a request (TCP peer). */
export function sourceIp(request: FastifyRequest): string | null {
  return peerAddress(request.raw.socket?.remoteAddress);
}

function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

export function installAccessControl(app: FastifyInstance, options: AccessOptions): void {
  const { clock, tokens, guard } = options;

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?', 1)[0] ?? request.url;
    const route = request.routeOptions.url ?? '';
    // Both the raw path and the matched route are checked: the router decodes %-escapes the raw string still has.
    const api = isApiPath(path) || isApiPath(route);
    const policy = route === '/metrics' ? options.metricsAuth : route === '/healthz' ? options.healthAuth : 'open';
    if (!api && policy === 'open') return;

    const now = clock();
    const ip = sourceIp(request);
    if (ip === null) {
      return reply.code(403).send({ error: 'forbidden', message: 'unknown source address' });
    }
    if (guard.blockOf(ip, now) !== null) {
      request.log.debug({ ip, method: request.method, path }, 'admin request from a blocked address refused');
      return reply.code(403).send({ error: 'forbidden', message: 'this source address is blocked' });
    }
    // Logging in is how an admin user gets a token: the login route checks its own credentials.
    if (route === '/api/v1/auth/login') return;

    const header = request.headers.authorization;
    const principal = tokens.authenticate(header) ?? options.sessions?.authenticate(header, now) ?? null;
    if (principal === null) {
      const reason = header === undefined ? 'missing token' : 'invalid token';
      const outcome = guard.recordFailure(ip, now, { reason, path, method: request.method });
      request.log.warn({ ip, method: request.method, path, reason, failures: outcome.failures }, 'admin API authentication failed');
      const challenge = header === undefined ? 'Bearer realm="sipwarden"' : 'Bearer realm="sipwarden", error="invalid_token"';
      return reply.code(401).header('WWW-Authenticate', challenge).send({ error: 'unauthorized', message: `${reason}: use Authorization: Bearer <token>` });
    }
    principals.set(request, principal);
    // Unknown paths fall through to the 404/405 handler; a role only matters for a real route.
    if (api && !request.is404 && !roleAllows(principal.role, request.method, path)) {
      request.log.warn({ ip, token: principal.name, method: request.method, path }, 'admin API: role does not allow this method');
      return reply.code(403).send({ error: 'forbidden', message: `the "${principal.role}" role may not ${request.method} here` });
    }
  });
}
