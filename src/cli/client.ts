/**
 * The operator's HTTP client for a running daemon's admin API. Responses are parsed with the
 * same zod schemas the server answers with, so the CLI and the API cannot drift apart.
 */
import { z } from 'zod';
import { checkSchema, summarySchema } from '../admin/api/routes/security.js';
import { statusSchema } from '../admin/api/routes/status.js';
import { blockSchema, errorSchema, eventSchema, pageSchema } from '../admin/api/schemas.js';

/** A failure the CLI reports with a message and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const EXIT = { refused: 1, usage: 2, unreachable: 3, unauthorized: 4 } as const;

export type Status = z.infer<typeof statusSchema>;
export type BlockOut = z.infer<typeof blockSchema>;
export type Check = z.infer<typeof checkSchema>;
export type Summary = z.infer<typeof summarySchema>;
export type EventOut = z.infer<typeof eventSchema>;
export const eventPageSchema = pageSchema(eventSchema);
export type EventPage = z.infer<typeof eventPageSchema>;

export interface ClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs?: number;
}

export class AdminClient {
  constructor(private readonly options: ClientOptions) {}

  status(): Promise<Status> {
    return this.call('GET', '/api/v1/status', statusSchema);
  }

  block(body: { target: string; reason?: string; duration?: string; permanent?: boolean }): Promise<BlockOut> {
    return this.call('POST', '/api/v1/security/blocks', blockSchema, body);
  }

  unblock(target: string): Promise<unknown> {
    return this.call('DELETE', `/api/v1/security/blocks/${encodeURIComponent(target)}`, z.object({ target: z.string(), unblocked: z.literal(true) }));
  }

  check(ip: string): Promise<Check> {
    return this.call('GET', `/api/v1/security/check/${encodeURIComponent(ip)}`, checkSchema);
  }

  summary(hours: number): Promise<Summary> {
    return this.call('GET', `/api/v1/security/summary?hours=${hours}`, summarySchema);
  }

  events(query: Record<string, string | undefined>): Promise<EventPage> {
    const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
    return this.call('GET', `/api/v1/security/events?${params.toString()}`, eventPageSchema);
  }

  private async call<T extends z.ZodType>(method: string, path: string, schema: T, body?: unknown): Promise<z.infer<T>> {
    const url = new URL(path, this.options.baseUrl);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach sipwarden at ${this.options.baseUrl} (is it running? check admin.host/admin.port or --url): ${cause}`, EXIT.unreachable);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CliError(`sipwarden at ${this.options.baseUrl} answered ${response.status} with something that is not JSON`, EXIT.refused);
    }
    if (!response.ok) {
      const error = errorSchema.safeParse(json);
      const message = error.success ? error.data.message : text.slice(0, 200);
      if (response.status === 401 || response.status === 403) throw new CliError(`the daemon refused the request (${response.status}): ${message}`, EXIT.unauthorized);
      throw new CliError(`${message} (${response.status})`, EXIT.refused);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new CliError(`unexpected answer from ${path}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, EXIT.refused);
    return parsed.data;
  }
}
