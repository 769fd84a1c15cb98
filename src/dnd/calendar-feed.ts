/**
 * Calendar feeds: fetch .ics from an http(s) URL or a file, keep the last good snapshot.
 *
 * CalendarFeed.poll():
 *   - conditional GET (If-None-Match / If-Modified-Since from the last good response); 304 keeps
 *     the snapshot; a 200 whose body is byte-identical to the last good one keeps it too (no re-parse);
 *   - files: unchanged size + mtime counts as 304;
 *   - timeout (AbortSignal.timeout, headers and body together), a body-size cap (after content
 *     decoding, so a gzip bomb is cut off), any non-2xx status, network errors and parse errors are
 *     failures: the LAST GOOD snapshot stays, lastError/lastErrorAt/consecutiveFailures record it;
 *   - never rejects; concurrent calls share one in-flight poll (never two polls of one feed at once).
 *
 * Feed URLs often carry a secret (Google/Outlook "secret address" tokens in the path, user:password
 * in the authority). Status and error messages only ever show redactSource(source); userinfo in the
 * URL is sent as HTTP Basic authorization, not in the URL.
 *
 * CalendarPoller polls a set of feeds: one poll right away on start(), then every `intervalMs` after
 * each poll completes (so a slow feed never overlaps itself), with at most `maxConcurrent` polls at
 * once; timers are unref()'d; feeds can be added, replaced and removed while running.
 * onSnapshot(feed, snapshot) fires whenever a feed's snapshot object changes (null when a feed is
 * removed or its content-affecting config changes): wire it to DndService.setCalendar().
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { CalendarParseError, DEFAULT_CALENDAR_LIMITS, parseCalendar, type CalendarLimits, type CalendarSnapshot } from './calendar.js';
import { DndValidationError, checkIdentifier, isRecord, type ValidationIssue } from './types.js';
import { canonicalTimeZone } from './zoned-time.js';

export interface CalendarFeedConfig {
  /** Unique feed id (also the calendarId in DndService). */
  readonly id: string;
  /** The extension whose DND this calendar drives. */
  readonly extension: string;
  /** http(s) URL, file: URL, or absolute file path. */
  readonly source: string;
  /** Zone for all-day and floating times (the extension's zone). Default: the calendar's X-WR-TIMEZONE, else UTC. */
  readonly timezone?: string | null;
  /** The owner's addresses; events they declined are not busy. */
  readonly attendees?: readonly string[];
  readonly ignoreAllDay?: boolean;
  /** Extra request headers (e.g. Authorization). Never shown in status. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /** Default 10 MiB. */
  readonly maxBytes?: number;
  /** Poll interval for this feed; default: the poller's. */
  readonly intervalMs?: number;
  readonly limits?: Partial<CalendarLimits>;
}

export type PollOutcome = 'updated' | 'not-modified' | 'unchanged' | 'failed';

export interface PollResult {
  readonly outcome: PollOutcome;
  /** HTTP status, when there was one. */
  readonly httpStatus?: number;
  readonly error?: string;
}

export interface CalendarFeedStatus {
  readonly id: string;
  readonly extension: string;
  /** Redacted. */
  readonly source: string;
  readonly hasSnapshot: boolean;
  readonly eventCount: number | null;
  readonly calendarName: string | null;
  readonly warnings: readonly string[];
  readonly etag: string | null;
  readonly lastModified: string | null;
  readonly lastAttemptAt: number | null;
  /** Last poll that ended with a usable calendar (200, 304 or unchanged). */
  readonly lastSuccessAt: number | null;
  /** When the snapshot last changed. */
  readonly lastChangeAt: number | null;
  readonly lastErrorAt: number | null;
  readonly lastError: string | null;
  readonly consecutiveFailures: number;
  readonly polling: boolean;
}

export type FetchFn = typeof globalThis.fetch;

export interface CalendarFeedDeps {
  readonly clock?: Clock;
  readonly fetch?: FetchFn;
}

export const DEFAULT_FEED_TIMEOUT_MS = 10_000;
export const DEFAULT_FEED_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_POLL_INTERVAL_MS = 60_000;

/** Check a feed config; throws DndValidationError naming the field. */
export function validateCalendarFeedConfig(input: unknown): CalendarFeedConfig {
  const issues: ValidationIssue[] = [];
  if (!isRecord(input)) throw new DndValidationError([{ field: '(feed)', message: 'must be an object' }]);
  checkIdentifier(input.id, 'id', issues);
  checkIdentifier(input.extension, 'extension', issues);
  if (typeof input.source !== 'string' || sourceKind(input.source) === null) {
    issues.push({ field: 'source', message: 'must be an http(s) URL, a file: URL or an absolute file path' });
  }
  if (input.timezone !== undefined && input.timezone !== null && canonicalTimeZone(input.timezone) === null) {
    issues.push({ field: 'timezone', message: `unknown IANA time zone ${JSON.stringify(input.timezone)}` });
  }
  if (input.attendees !== undefined && (!Array.isArray(input.attendees) || !input.attendees.every((a) => typeof a === 'string'))) {
    issues.push({ field: 'attendees', message: 'must be a list of addresses' });
  }
  if (input.ignoreAllDay !== undefined && typeof input.ignoreAllDay !== 'boolean') issues.push({ field: 'ignoreAllDay', message: 'must be true or false' });
  if (input.headers !== undefined && (!isRecord(input.headers) || !Object.values(input.headers).every((v) => typeof v === 'string'))) {
    issues.push({ field: 'headers', message: 'must map header names to strings' });
  }
  for (const [field, min] of [['timeoutMs', 1], ['maxBytes', 1], ['intervalMs', 1000]] as const) {
    const v = input[field];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < min)) {
      issues.push({ field, message: `must be a number >= ${min}` });
    }
  }
  if (input.limits !== undefined) {
    if (!isRecord(input.limits)) issues.push({ field: 'limits', message: 'must be an object' });
    else {
      for (const [k, v] of Object.entries(input.limits)) {
        if (!(k in DEFAULT_CALENDAR_LIMITS)) issues.push({ field: `limits.${k}`, message: 'unknown limit' });
        else if (typeof v !== 'number' || !(v > 0)) issues.push({ field: `limits.${k}`, message: 'must be a positive number' });
      }
    }
  }
  if (issues.length) throw new DndValidationError(issues);
  return input as unknown as CalendarFeedConfig;
}

type SourceKind = { kind: 'http'; url: URL } | { kind: 'file'; path: string };

function sourceKind(source: string): SourceKind | null {
  if (/^https?:\/\//i.test(source)) {
    try {
      return { kind: 'http', url: new URL(source) };
    } catch {
      return null;
    }
  }
  if (/^file:/i.test(source)) {
    try {
      return { kind: 'file', path: fileURLToPath(source) };
    } catch {
      return null;
    }
  }
  return isAbsolute(source) ? { kind: 'file', path: source } : null;
}

/** A source safe to log: URLs lose userinfo, query and all but the last path segment. */
export function redactSource(source: string): string {
  const k = sourceKind(source);
  if (!k) return '(invalid source)';
  if (k.kind === 'file') return k.path;
  const segments = k.url.pathname.split('/').filter(Boolean);
  const last = segments.length > 1 ? `/.../${segments[segments.length - 1]}` : segments.length === 1 ? `/${segments[0]}` : '/';
  return `${k.url.protocol}//${k.url.host}${last}`;
}

const CONTENT_KEYS = ['extension', 'source', 'timezone', 'attendees', 'ignoreAllDay', 'headers', 'limits'] as const;

function sameContent(a: CalendarFeedConfig, b: CalendarFeedConfig): boolean {
  return CONTENT_KEYS.every((k) => JSON.stringify(a[k] ?? null) === JSON.stringify(b[k] ?? null));
}

class FeedError extends Error {
  readonly httpStatus: number | undefined;
  constructor(message: string, httpStatus?: number) {
    super(message);
    this.httpStatus = httpStatus;
  }
}

interface Fetched {
  readonly notModified: boolean;
  readonly body?: Uint8Array;
  readonly etag?: string | null;
  readonly lastModified?: string | null;
  readonly httpStatus?: number;
}

export class CalendarFeed {
  #config: CalendarFeedConfig;
  readonly #clock: Clock;
  readonly #fetch: FetchFn;
  readonly #source: SourceKind;
  #snapshot: CalendarSnapshot | null = null;
  #hash: string | null = null;
  /** The last body that failed to parse, so an unchanged bad (or hostile) body is not parsed again every poll. */
  #rejected: { readonly hash: string; readonly error: string } | null = null;
  #etag: string | null = null;
  #lastModified: string | null = null;
  #fileStamp: string | null = null;
  #lastAttemptAt: number | null = null;
  #lastSuccessAt: number | null = null;
  #lastChangeAt: number | null = null;
  #lastErrorAt: number | null = null;
  #lastError: string | null = null;
  #failures = 0;
  #inflight: Promise<PollResult> | null = null;
  #abort: AbortController | null = null;

  constructor(config: CalendarFeedConfig, deps: CalendarFeedDeps = {}) {
    this.#config = validateCalendarFeedConfig(config);
    this.#source = sourceKind(config.source)!;
    this.#clock = deps.clock ?? systemClock;
    this.#fetch = deps.fetch ?? globalThis.fetch.bind(globalThis);
  }

  get config(): CalendarFeedConfig {
    return this.#config;
  }

  get id(): string {
    return this.#config.id;
  }

  /**
   * Swap timing settings (timeoutMs, maxBytes, intervalMs) keeping state and snapshot. Anything that
   * changes what the calendar means (source, zone, attendees...) needs a new feed: throws then.
   */
  reconfigure(config: CalendarFeedConfig): void {
    const next = validateCalendarFeedConfig(config);
    if (next.id !== this.#config.id || !sameContent(this.#config, next)) {
      throw new DndValidationError([{ field: 'source', message: 'only timeoutMs, maxBytes and intervalMs can change in place' }]);
    }
    this.#config = next;
  }

  get extension(): string {
    return this.config.extension;
  }

  /** The last good calendar, or null before the first success. */
  get snapshot(): CalendarSnapshot | null {
    return this.#snapshot;
  }

  get polling(): boolean {
    return this.#inflight !== null;
  }

  status(): CalendarFeedStatus {
    const s = this.#snapshot;
    return {
      id: this.config.id,
      extension: this.config.extension,
      source: redactSource(this.config.source),
      hasSnapshot: s !== null,
      eventCount: s?.eventCount ?? null,
      calendarName: s?.name ?? null,
      warnings: s?.warnings ?? [],
      etag: this.#etag,
      lastModified: this.#lastModified,
      lastAttemptAt: this.#lastAttemptAt,
      lastSuccessAt: this.#lastSuccessAt,
      lastChangeAt: this.#lastChangeAt,
      lastErrorAt: this.#lastErrorAt,
      lastError: this.#lastError,
      consecutiveFailures: this.#failures,
      polling: this.polling,
    };
  }

  /** Fetch now (or join the poll already running). Never rejects. */
  poll(): Promise<PollResult> {
    if (!this.#inflight) {
      this.#inflight = this.#pollOnce().finally(() => {
        this.#inflight = null;
        this.#abort = null;
      });
    }
    return this.#inflight;
  }

  /** Abort a running poll (it then fails with "aborted" and keeps the last good snapshot). */
  abort(): void {
    this.#abort?.abort(new FeedError('aborted'));
  }

  async #pollOnce(): Promise<PollResult> {
    this.#lastAttemptAt = this.#clock();
    const abort = (this.#abort = new AbortController());
    const timeoutMs = this.config.timeoutMs ?? DEFAULT_FEED_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([abort.signal, timeout]);
    let fetched: Fetched;
    try {
      fetched = this.#source.kind === 'http' ? await this.#fetchHttp(this.#source.url, signal) : await this.#readFile(this.#source.path, signal);
    } catch (err) {
      if (timeout.aborted) return this.#fail(new FeedError(`timed out after ${timeoutMs} ms`));
      if (abort.signal.aborted) return this.#fail(new FeedError('aborted'));
      return this.#fail(err);
    }
    const now = this.#clock();
    if (fetched.notModified) {
      if (!this.#snapshot) return this.#fail(new FeedError('304 Not Modified but no calendar cached', 304));
      this.#succeed(now, fetched);
      return { outcome: 'not-modified', ...(fetched.httpStatus ? { httpStatus: fetched.httpStatus } : {}) };
    }
    const body = fetched.body!;
    const hash = createHash('sha256').update(body).digest('hex');
    if (this.#snapshot && hash === this.#hash) {
      this.#succeed(now, fetched);
      return { outcome: 'unchanged', ...(fetched.httpStatus ? { httpStatus: fetched.httpStatus } : {}) };
    }
    if (this.#rejected?.hash === hash) return this.#fail(new FeedError(this.#rejected.error, fetched.httpStatus));
    let snapshot: CalendarSnapshot;
    try {
      const text = new TextDecoder('utf-8').decode(body);
      snapshot = parseCalendar(text, {
        timezone: this.config.timezone ?? null,
        attendees: this.config.attendees ?? [],
        ignoreAllDay: this.config.ignoreAllDay ?? false,
        ...(this.config.limits ? { limits: this.config.limits } : {}),
      });
    } catch (err) {
      const msg = err instanceof CalendarParseError ? err.message : `calendar rejected: ${messageOf(err)}`;
      this.#rejected = { hash, error: msg };
      return this.#fail(new FeedError(msg, fetched.httpStatus));
    }
    this.#snapshot = snapshot;
    this.#hash = hash;
    this.#lastChangeAt = now;
    this.#succeed(now, fetched);
    return { outcome: 'updated', ...(fetched.httpStatus ? { httpStatus: fetched.httpStatus } : {}) };
  }

  #succeed(now: number, fetched: Fetched): void {
    if (fetched.etag !== undefined) this.#etag = fetched.etag;
    if (fetched.lastModified !== undefined) this.#lastModified = fetched.lastModified;
    this.#lastSuccessAt = now;
    this.#failures = 0;
  }

  #fail(err: unknown): PollResult {
    this.#lastErrorAt = this.#clock();
    this.#lastError = messageOf(err);
    this.#failures++;
    const httpStatus = err instanceof FeedError ? err.httpStatus : undefined;
    return { outcome: 'failed', error: this.#lastError, ...(httpStatus ? { httpStatus } : {}) };
  }

  async #fetchHttp(url: URL, signal: AbortSignal): Promise<Fetched> {
    const headers = new Headers(this.config.headers ?? {});
    const target = new URL(url.href);
    if (target.username || target.password) {
      if (!headers.has('authorization')) {
        const user = decodeURIComponent(target.username);
        const pass = decodeURIComponent(target.password);
        headers.set('authorization', `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`);
      }
      target.username = '';
      target.password = '';
    }
    if (!headers.has('accept')) headers.set('accept', 'text/calendar, */*;q=0.5');
    if (this.#snapshot) {
      if (this.#etag) headers.set('if-none-match', this.#etag);
      if (this.#lastModified) headers.set('if-modified-since', this.#lastModified);
    }
    let res: Response;
    try {
      res = await this.#fetch(target, { headers, signal, redirect: 'follow' });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new FeedError(`network error: ${networkReason(err)}`);
    }
    if (res.status === 304) {
      await res.body?.cancel().catch(() => undefined);
      return { notModified: true, httpStatus: 304, ...validators(res) };
    }
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel().catch(() => undefined);
      throw new FeedError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, res.status);
    }
    const max = this.config.maxBytes ?? DEFAULT_FEED_MAX_BYTES;
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > max && !res.headers.get('content-encoding')) {
      await res.body?.cancel().catch(() => undefined);
      throw new FeedError(`calendar larger than ${max} bytes`, res.status);
    }
    const body = await readLimited(res, max);
    return { notModified: false, body, httpStatus: res.status, ...validators(res) };
  }

  async #readFile(path: string, signal: AbortSignal): Promise<Fetched> {
    const max = this.config.maxBytes ?? DEFAULT_FEED_MAX_BYTES;
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      throw new FeedError(`cannot read file: ${networkReason(err)}`);
    }
    if (!st.isFile()) throw new FeedError('not a regular file');
    if (st.size > max) throw new FeedError(`calendar larger than ${max} bytes`);
    const stamp = `${st.size}:${st.mtimeMs}`;
    if (this.#snapshot && stamp === this.#fileStamp) return { notModified: true };
    let body: Buffer;
    try {
      body = await readFile(path, { signal });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new FeedError(`cannot read file: ${networkReason(err)}`);
    }
    if (body.length > max) throw new FeedError(`calendar larger than ${max} bytes`);
    this.#fileStamp = stamp;
    return { notModified: false, body };
  }
}

function validators(res: Response): { etag: string | null; lastModified: string | null } {
  return { etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
}

async function readLimited(res: Response, max: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new FeedError(`calendar larger than ${max} bytes`, res.status);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** A short reason without the URL (undici puts the real cause in err.cause). */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: unknown } | null)?.cause;
  const code = (cause as { code?: unknown } | undefined)?.code ?? (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  if (cause instanceof Error) return cause.message;
  return messageOf(err);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Poller

/** Timer functions; the default uses the global timers and unref()s them. */
export interface PollerScheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const unrefScheduler: PollerScheduler = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

export interface CalendarPollerOptions {
  /** Default 60 s. */
  readonly intervalMs?: number;
  /** Polls running at the same time, across feeds. Default 4. */
  readonly maxConcurrent?: number;
  readonly clock?: Clock;
  readonly fetch?: FetchFn;
  readonly scheduler?: PollerScheduler;
  /** A feed's snapshot object changed (null: the feed was removed or reset). */
  readonly onSnapshot?: (feed: CalendarFeed, snapshot: CalendarSnapshot | null) => void;
  /** After every poll (for logs and metrics). */
  readonly onPoll?: (feed: CalendarFeed, result: PollResult) => void;
}

interface Entry {
  feed: CalendarFeed;
  timer: unknown;
  /** Bumped on every replacement/removal so stale callbacks do nothing. */
  generation: number;
  /** The snapshot onSnapshot was last told about. */
  notified: CalendarSnapshot | null;
}

export class CalendarPoller {
  readonly #opts: CalendarPollerOptions;
  readonly #scheduler: PollerScheduler;
  readonly #entries = new Map<string, Entry>();
  readonly #queue: (() => void)[] = [];
  #active = 0;
  readonly #inflight = new Set<Promise<void>>();
  #running = false;
  #generation = 0;

  constructor(options: CalendarPollerOptions = {}) {
    this.#opts = options;
    this.#scheduler = options.scheduler ?? unrefScheduler;
  }

  get running(): boolean {
    return this.#running;
  }

  get(id: string): CalendarFeed | undefined {
    return this.#entries.get(id)?.feed;
  }

  feeds(): CalendarFeed[] {
    return [...this.#entries.values()].map((e) => e.feed);
  }

  statuses(): CalendarFeedStatus[] {
    return this.feeds().map((f) => f.status());
  }

  /** Add a feed; throws if the id exists. Polled right away when running. */
  add(config: CalendarFeedConfig): CalendarFeed {
    if (this.#entries.has(config.id)) throw new DndValidationError([{ field: 'id', message: `feed "${config.id}" already exists` }]);
    const feed = this.#newFeed(config);
    const entry: Entry = { feed, timer: null, generation: ++this.#generation, notified: null };
    this.#entries.set(config.id, entry);
    if (this.#running) this.#schedule(entry, 0);
    return feed;
  }

  /**
   * Add or replace a feed. When only timing settings change (timeoutMs, maxBytes, intervalMs) the
   * state and snapshot carry over; otherwise the old feed is dropped (onSnapshot(old, null)) and the
   * new one polled right away.
   */
  update(config: CalendarFeedConfig): CalendarFeed {
    const entry = this.#entries.get(config.id);
    if (!entry) return this.add(config);
    const old = entry.feed;
    if (sameContent(old.config, config)) {
      old.reconfigure(config);
      if (this.#running && !old.polling) this.#schedule(entry, this.#interval(old));
      return old;
    }
    const feed = this.#newFeed(config);
    this.#replace(entry, feed);
    return feed;
  }

  /** Remove a feed (aborts its poll); onSnapshot(feed, null) when it had a snapshot. */
  remove(id: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#entries.delete(id);
    this.#clear(entry);
    entry.generation = ++this.#generation;
    entry.feed.abort();
    if (entry.notified) this.#notify(entry.feed, null);
    entry.notified = null;
    return true;
  }

  /** Poll every feed right away, then every interval. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const entry of this.#entries.values()) this.#schedule(entry, 0);
  }

  /** Stop the timers, abort running polls and wait for them to settle. */
  async stop(): Promise<void> {
    this.#running = false;
    const pending: Promise<unknown>[] = [];
    for (const entry of this.#entries.values()) {
      this.#clear(entry);
      if (entry.feed.polling) {
        pending.push(entry.feed.poll());
        entry.feed.abort();
      }
    }
    await Promise.allSettled(pending);
    await this.whenIdle();
  }

  /** Resolves once no poll is running or waiting for a slot (including polls started meanwhile). */
  async whenIdle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** Poll one feed (or all) now, outside the timer; resolves when done. */
  async pollNow(id?: string): Promise<void> {
    const entries = id === undefined ? [...this.#entries.values()] : [this.#entries.get(id)].filter((e): e is Entry => e !== undefined);
    await Promise.all(entries.map((e) => this.#track(this.#pollEntry(e, e.generation))));
  }

  #track(p: Promise<void>): Promise<void> {
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
    return p;
  }

  #notify(feed: CalendarFeed, snapshot: CalendarSnapshot | null): void {
    try {
      this.#opts.onSnapshot?.(feed, snapshot);
    } catch {
      // a listener bug must not break polling or feed management
    }
  }

  #newFeed(config: CalendarFeedConfig): CalendarFeed {
    return new CalendarFeed(config, {
      ...(this.#opts.clock ? { clock: this.#opts.clock } : {}),
      ...(this.#opts.fetch ? { fetch: this.#opts.fetch } : {}),
    });
  }

  #replace(entry: Entry, feed: CalendarFeed): void {
    const old = entry.feed;
    this.#clear(entry);
    entry.generation = ++this.#generation;
    old.abort();
    entry.feed = feed;
    if (entry.notified) this.#notify(old, null);
    entry.notified = null;
    if (this.#running) this.#schedule(entry, 0);
  }

  #interval(feed: CalendarFeed): number {
    return feed.config.intervalMs ?? this.#opts.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  }

  #clear(entry: Entry): void {
    if (entry.timer !== null) this.#scheduler.clearTimeout(entry.timer);
    entry.timer = null;
  }

  #schedule(entry: Entry, delayMs: number): void {
    this.#clear(entry);
    const generation = entry.generation;
    entry.timer = this.#scheduler.setTimeout(() => {
      entry.timer = null;
      if (!this.#running || entry.generation !== generation) return;
      const run = this.#pollEntry(entry, generation, true).then(() => {
        if (this.#running && entry.generation === generation && this.#entries.get(entry.feed.id) === entry) {
          this.#schedule(entry, this.#interval(entry.feed));
        }
      });
      this.#track(run);
    }, delayMs);
  }

  async #pollEntry(entry: Entry, generation: number, fromTimer = false): Promise<void> {
    await this.#slot();
    try {
      if (entry.generation !== generation || (fromTimer && !this.#running)) return;
      const feed = entry.feed;
      const result = await feed.poll();
      if (entry.generation !== generation) return;
      try {
        this.#opts.onPoll?.(feed, result);
      } catch {
        // a listener bug must not stop polling
      }
      if (feed.snapshot !== entry.notified) {
        entry.notified = feed.snapshot;
        this.#notify(feed, feed.snapshot);
      }
    } finally {
      this.#release();
    }
  }

  #slot(): Promise<void> {
    const max = this.#opts.maxConcurrent ?? 4;
    if (this.#active < max) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#queue.push(() => {
      this.#active++;
      resolve();
    }));
  }

  #release(): void {
    this.#active--;
    this.#queue.shift()?.();
  }
}
