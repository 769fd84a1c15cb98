/**
 * The operator's HTTP client for a running daemon's admin API (/api/v1), over Node's fetch.
 *
 * Answers are parsed with the same zod schemas the server answers with (the CLI ships with the
 * daemon), so the two cannot drift apart unnoticed. Every failure is a CliError with the exit
 * code the command line uses: 1 refused by the API, 2 bad usage, 3 daemon unreachable,
 * 4 token refused.
 */
import { z } from 'zod';
import { checkSchema, summarySchema } from '../admin/api/routes/security.js';
import { statusSchema } from '../admin/api/routes/status.js';
import { blockSchema, errorSchema, eventSchema, pageSchema } from '../admin/api/schemas.js';

/** A failure the CLI reports with a message (on stderr) and an exit code. */
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

export type Status = z.output<typeof statusSchema>;
export type BlockOut = z.output<typeof blockSchema>;
export type Check = z.output<typeof checkSchema>;
export type Summary = z.output<typeof summarySchema>;
export type EventOut = z.output<typeof eventSchema>;
export const eventPageSchema = pageSchema(eventSchema);
export type EventPage = z.output<typeof eventPageSchema>;
export const blockPageSchema = pageSchema(blockSchema);
export type BlockPage = z.output<typeof blockPageSchema>;
export const unblockSchema = z.object({ target: z.string(), unblocked: z.literal(true) });
export type Unblocked = z.output<typeof unblockSchema>;

/** A parsed answer, with the JSON exactly as the daemon sent it (for --json). */
export interface Answer<T> {
  readonly data: T;
  readonly json: unknown;
}

export interface BlockRequest {
  readonly target: string;
  readonly reason?: string;
  /** Seconds (the API also takes "2h"-style text). */
  readonly duration?: number | string;
  readonly permanent?: boolean;
}

export interface EventQuery {
  readonly type?: string;
  readonly severity?: string;
  readonly ip?: string;
  readonly username?: string;
  /** ISO 8601 or epoch milliseconds. */
  readonly since?: string;
  readonly until?: string;
  readonly limit?: number;
  readonly offset?: number;
}

export interface ClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  /** Per request; default 10 s. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The base URL without a trailing slash; a usage error when it is not an http(s) URL. */
function checkedBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`${JSON.stringify(text)} is not a URL (e.g. http://127.0.0.1:8080)`, EXIT.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`${text}: only http:// and https:// URLs are supported`, EXIT.usage);
  if (url.search !== '' || url.hash !== '') throw new CliError(`${text}: the base URL takes no query or fragment`, EXIT.usage);
  return url.href.replace(/\/+$/, '');
}

/** "ECONNREFUSED", "ENOTFOUND", ... from a failed fetch, else its message. */
function networkReason(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'no answer in time';
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    // AggregateError (IPv4 and IPv6 both tried): the first inner error has the code.
    const inner = cause instanceof AggregateError ? cause.errors.find((e): e is Error => e instanceof Error) : undefined;
    const innerCode = inner !== undefined && 'code' in inner && typeof inner.code === 'string' ? inner.code : undefined;
    return code ?? innerCode ?? cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export class AdminClient {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    this.baseUrl = checkedBaseUrl(options.baseUrl);
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** GET /api/v1/status */
  status(): Promise<Answer<Status>> {
    return this.call('GET', '/status', statusSchema);
  }

  /** POST /api/v1/security/blocks */
  block(request: BlockRequest): Promise<Answer<BlockOut>> {
    const body = {
      target: request.target,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      ...(request.duration === undefined ? {} : { duration: request.duration }),
      ...(request.permanent === undefined ? {} : { permanent: request.permanent }),
    };
    return this.call('POST', '/security/blocks', blockSchema, body);
  }

  /** DELETE /api/v1/security/blocks/:target */
  unblock(target: string): Promise<Answer<Unblocked>> {
    return this.call('DELETE', `/security/blocks/${encodeURIComponent(target)}`, unblockSchema);
  }

  /** GET /api/v1/security/blocks */
  blocks(query: { source?: string; limit?: number; offset?: number } = {}): Promise<Answer<BlockPage>> {
    return this.call('GET', `/security/blocks${queryString(query)}`, blockPageSchema);
  }

  /** GET /api/v1/security/check/:ip */
  check(ip: string): Promise<Answer<Check>> {
    return this.call('GET', `/security/check/${encodeURIComponent(ip)}`, checkSchema);
  }

  /** GET /api/v1/security/summary */
  summary(query: { hours?: number; top?: number } = {}): Promise<Answer<Summary>> {
    return this.call('GET', `/security/summary${queryString(query)}`, summarySchema);
  }

  /** GET /api/v1/security/events */
  events(query: EventQuery = {}): Promise<Answer<EventPage>> {
    return this.call('GET', `/security/events${queryString(query)}`, eventPageSchema);
  }

  private async call<S extends z.ZodType>(method: 'GET' | 'POST' | 'DELETE', path: string, schema: S, body?: unknown): Promise<Answer<z.output<S>>> {
    const url = `${this.baseUrl}/api/v1${path}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw new CliError(`cannot reach sipwarden at ${this.baseUrl} (is it running? check admin.host/admin.port): ${networkReason(err)}`, EXIT.unreachable);
    }

    let json: unknown;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      throw new CliError(`${this.baseUrl} answered ${response.status} with something that is not JSON: is it sipwarden's admin port?`, EXIT.refused);
    }

    if (!response.ok) {
      const error = errorSchema.safeParse(json);
      const message = error.success ? error.data.message : `HTTP ${response.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`;
      if (response.status === 401 || response.status === 403) {
        throw new CliError(`the daemon refused the token (${response.status}): ${message}`, EXIT.unauthorized);
      }
      if (response.status >= 500) throw new CliError(`the daemon failed (${response.status}): ${message}`, EXIT.refused);
      throw new CliError(message, EXIT.refused);
    }

    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.map(String).join('.')}`;
      throw new CliError(`unexpected answer from ${method} /api/v1${path}${where}: ${issue?.message ?? 'invalid'} (is the daemon the same version as this command?)`, EXIT.refused);
    }
    return { data: parsed.data, json };
  }
}

/** "?a=1&b=x" from the defined entries, or "". */
function queryString(query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (typeof value === 'string' || typeof value === 'number') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
