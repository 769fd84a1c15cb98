/**
 * JSON errors for the whole admin listener: { error, message }, never a stack trace.
 * Validation errors name the field; a known path with the wrong method is a 405 with Allow.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { hasZodFastifySchemaValidationErrors, ResponseSerializationError } from 'fastify-type-provider-zod';

/** An error a route throws on purpose: its status and message go to the client as they are. */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly kind: string;

  constructor(statusCode: number, kind: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.kind = kind;
  }
}

const KINDS: Readonly<Record<number, string>> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  409: 'conflict',
  411: 'length-required',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  429: 'too-many-requests',
  431: 'request-header-fields-too-large',
  503: 'unavailable',
};

export function errorKind(status: number): string {
  return KINDS[status] ?? (status >= 500 ? 'internal' : 'bad-request');
}

const CONTEXT_NAMES: Readonly<Record<string, string>> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/** "body.target: ...", "query.limit: ...", "body: unknown field(s) foo" */
export function validationMessage(err: FastifyError): string {
  const context = CONTEXT_NAMES[err.validationContext ?? ''] ?? err.validationContext ?? 'request';
  if (!hasZodFastifySchemaValidationErrors(err)) return `${context}: ${err.message}`;
  return err.validation
    .map((issue) => {
      const path = issue.instancePath.split('/').filter((p) => p.length > 0);
      const where = [context, ...path].join('.');
      if (issue.keyword === 'unrecognized_keys') {
        const keys = Array.isArray(issue.params['keys']) ? issue.params['keys'].map(String) : [];
        return `${where}: unknown field${keys.length === 1 ? '' : 's'} ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
      }
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** The HTTP methods registered for a concrete path (e.g. "/api/v1/security/blocks/192.0.2.7"). */
export function allowedMethods(app: FastifyInstance, path: string): HTTPMethods[] {
  const methods: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  return methods.filter((method) => app.findRoute({ method, url: path }) !== null);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ApiError) {
      return reply.code(err.statusCode).send({ error: err.kind, message: err.message });
    }
    if (err.validation) {
      return reply.code(400).send({ error: 'bad-request', message: validationMessage(err) });
    }
    if (err instanceof ResponseSerializationError) {
      request.log.error({ err, url: err.url, method: err.method }, 'admin API response does not match its schema');
      return reply.code(500).send({ error: 'internal', message: 'internal error' });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err, method: request.method, url: request.url }, 'admin HTTP request failed');
      return reply.code(status).send({ error: errorKind(status), message: status === 503 ? 'service unavailable' : 'internal error' });
    }
    // Fastify's own client errors (bad JSON, body too large, unsupported media type): their messages are safe.
    return reply.code(status).send({ error: errorKind(status), message: err.message });
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?', 1)[0] ?? request.url;
    const shown = clip(path);
    const allowed = allowedMethods(app, path);
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('Allow', allowed.join(', '))
        .send({ error: 'method-not-allowed', message: `${request.method} is not allowed on ${shown} (allowed: ${allowed.join(', ')})` });
    }
    return reply.code(404).send({ error: 'not-found', message: `no route ${request.method} ${shown}` });
  });
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
