import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { busyIntervals } from '../../../src/dnd/calendar.js';
import {
  CalendarFeed,
  CalendarPoller,
  redactSource,
  unrefScheduler,
  type CalendarFeedConfig,
  type PollerScheduler,
} from '../../../src/dnd/calendar-feed.js';
import type { CalendarSnapshot } from '../../../src/dnd/calendar.js';

const ALICE = readFileSync(fileURLToPath(new URL('../../fixtures/ics/alice.ics', import.meta.url)), 'utf8');
const SMALL = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:one@test', 'DTSTART:20250313T090000Z', 'DTEND:20250313T100000Z', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler;
const requests: { url: string; headers: IncomingHttpHeaders }[] = [];
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests.length = 0;
  handler = (_req, res) => res.writeHead(404).end();
});

afterEach(() => {
  for (const res of hanging.splice(0)) res.destroy();
});

let now = Date.parse('2025-03-13T08:00:00Z');
const clock = (): number => now;

const serve =
  (body: string, headers: Record<string, string> = {}, status = 200): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/calendar; charset=utf-8', ...headers });
    res.end(body);
  };

const etagged =
  (body: string, etag: string): Handler =>
  (req, res) => {
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    serve(body, { etag, 'last-modified': 'Thu, 13 Mar 2025 07:00:00 GMT' })(req, res);
  };

const feedConfig = (over: Partial<CalendarFeedConfig> = {}): CalendarFeedConfig => ({
  id: 'alice-work',
  extension: '1001',
  source: `${base}/calendar/ical/alice%40example.com/private-0123456789abcdef/basic.ics`,
  attendees: ['alice@example.com'],
  timeoutMs: 2_000,
  ...over,
});

describe('CalendarFeed over HTTP', () => {
  it('200 with ETag, then 304 keeps the snapshot, then 500 and a timeout keep the last good one', async () => {
    const feed = new CalendarFeed(feedConfig({ timeoutMs: 300 }), { clock });
    handler = etagged(ALICE, '"v1"');

    expect(await feed.poll()).toEqual({ outcome: 'updated', httpStatus: 200 });
    const first = feed.snapshot!;
    expect(first.eventCount).toBe(12);
    expect(feed.status()).toMatchObject({ hasSnapshot: true, etag: '"v1"', lastSuccessAt: now, lastChangeAt: now, lastError: null, consecutiveFailures: 0 });
    expect(requests[0]!.headers['if-none-match']).toBeUndefined();

    now += 60_000;
    expect(await feed.poll()).toEqual({ outcome: 'not-modified', httpStatus: 304 });
    expect(requests[1]!.headers['if-none-match']).toBe('"v1"');
    expect(requests[1]!.headers['if-modified-since']).toBe('Thu, 13 Mar 2025 07:00:00 GMT');
    expect(feed.snapshot).toBe(first);
    expect(feed.status().lastSuccessAt).toBe(now);

    const lastGood = now;
    now += 60_000;
    handler = serve('oops', {}, 500);
    expect(await feed.poll()).toEqual({ outcome: 'failed', httpStatus: 500, error: 'HTTP 500 Internal Server Error' });
    expect(feed.snapshot).toBe(first);
    expect(feed.status()).toMatchObject({ lastSuccessAt: lastGood, lastErrorAt: now, lastError: 'HTTP 500 Internal Server Error', consecutiveFailures: 1 });

    now += 60_000;
    handler = (_req, res) => void hanging.push(res); // never answers
    expect(await feed.poll()).toEqual({ outcome: 'failed', error: 'timed out after 300 ms' });
    expect(feed.snapshot).toBe(first);
    expect(feed.status()).toMatchObject({ lastSuccessAt: lastGood, lastErrorAt: now, lastError: 'timed out after 300 ms', consecutiveFailures: 2 });
    // the calendar is still usable
    expect(busyIntervals(feed.snapshot!, Date.parse('2025-03-13T00:00Z'), Date.parse('2025-03-14T00:00Z')).intervals.length).toBeGreaterThan(0);

    now += 60_000;
    handler = serve('<html>login required</html>');
    const bad = await feed.poll();
    expect(bad).toMatchObject({ outcome: 'failed', httpStatus: 200 });
    expect(bad.error).toMatch(/not an iCalendar file/);
    expect(feed.snapshot).toBe(first);

    now += 60_000;
    handler = etagged(SMALL, '"v2"');
    expect(await feed.poll()).toEqual({ outcome: 'updated', httpStatus: 200 });
    expect(feed.snapshot).not.toBe(first);
    expect(feed.snapshot!.eventCount).toBe(1);
    expect(feed.status()).toMatchObject({ etag: '"v2"', consecutiveFailures: 0, lastChangeAt: now, lastSuccessAt: now });
  });

  it('a body that was rejected once is not parsed again while it stays the same', async () => {
    const feed = new CalendarFeed(feedConfig({ limits: { maxEvents: 2 } }), { clock });
    handler = serve(ALICE);
    expect(await feed.poll()).toMatchObject({ outcome: 'failed', error: 'calendar has 12 events, more than the limit of 2' });
    expect(await feed.poll()).toMatchObject({ outcome: 'failed', error: 'calendar has 12 events, more than the limit of 2' });
    expect(feed.status().consecutiveFailures).toBe(2);
    handler = serve(SMALL);
    expect((await feed.poll()).outcome).toBe('updated');
  });

  it('an identical body without validators is "unchanged" and keeps the same snapshot', async () => {
    const feed = new CalendarFeed(feedConfig(), { clock });
    handler = serve(SMALL);
    expect((await feed.poll()).outcome).toBe('updated');
    const first = feed.snapshot;
    expect((await feed.poll()).outcome).toBe('unchanged');
    expect(feed.snapshot).toBe(first);
  });

  it('refuses bodies over maxBytes, declared or streamed', async () => {
    const feed = new CalendarFeed(feedConfig({ maxBytes: 1000 }), { clock });
    handler = serve(ALICE);
    expect(await feed.poll()).toMatchObject({ outcome: 'failed', error: 'calendar larger than 1000 bytes' });
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/calendar' }); // chunked, no content-length
      res.write(ALICE.slice(0, 800));
      res.end(ALICE.slice(800));
    };
    expect(await feed.poll()).toMatchObject({ outcome: 'failed', error: 'calendar larger than 1000 bytes' });
    expect(feed.snapshot).toBeNull();
  });

  it('concurrent polls of one feed share one request', async () => {
    const feed = new CalendarFeed(feedConfig(), { clock });
    let release: () => void = () => undefined;
    handler = (req, res) => {
      release = () => serve(SMALL)(req, res);
    };
    const a = feed.poll();
    const b = feed.poll();
    expect(b).toBe(a);
    expect(feed.polling).toBe(true);
    await new Promise<void>((resolve) => {
      const wait = (): void => void (requests.length > 0 ? resolve() : setImmediate(wait));
      wait();
    });
    release();
    expect((await a).outcome).toBe('updated');
    expect(requests).toHaveLength(1);
    expect(feed.polling).toBe(false);
  });

  it('sends URL credentials as Basic auth and never shows the secret parts', async () => {
    const source = `${base.replace('http://', 'http://alice:s3cret@')}/owa/calendar/abc/secret-token/calendar.ics?key=zzz`;
    const feed = new CalendarFeed(feedConfig({ source }), { clock });
    handler = serve(SMALL);
    expect((await feed.poll()).outcome).toBe('updated');
    expect(requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
    expect(requests[0]!.url).toBe('/owa/calendar/abc/secret-token/calendar.ics?key=zzz');
    const shown = JSON.stringify(feed.status());
    expect(shown).not.toMatch(/s3cret|secret-token|zzz|alice:/);
    expect(feed.status().source).toBe(`${base}/.../calendar.ics`);
    expect(redactSource('/etc/sipwarden/alice.ics')).toBe('/etc/sipwarden/alice.ics');
  });

  it('reports network errors without the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const feed = new CalendarFeed(feedConfig({ source: `http://127.0.0.1:${port}/private-token/x.ics` }), { clock });
    const r = await feed.poll();
    expect(r).toEqual({ outcome: 'failed', error: 'network error: ECONNREFUSED' });
  });

  it('abort() ends a running poll as a failure', async () => {
    const feed = new CalendarFeed(feedConfig(), { clock });
    handler = (_req, res) => void hanging.push(res);
    const p = feed.poll();
    await new Promise<void>((resolve) => {
      const wait = (): void => void (requests.length > 0 ? resolve() : setImmediate(wait));
      wait();
    });
    feed.abort();
    expect(await p).toEqual({ outcome: 'failed', error: 'aborted' });
  });

  it('validates its config, naming the field', () => {
    expect(() => new CalendarFeed(feedConfig({ source: 'relative/path.ics' }))).toThrow(/^source: /);
    expect(() => new CalendarFeed(feedConfig({ timezone: 'Mars/Base', timeoutMs: 0 }))).toThrow(/timezone: .*timeoutMs: /);
    expect(() => new CalendarFeed(feedConfig({ limits: { maxEvents: -1, maxFoo: 1 } as never }))).toThrow(/limits\.maxEvents: .*limits\.maxFoo: unknown limit/);
  });
});

describe('CalendarFeed from a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwarden-dnd-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads, treats an unchanged file as not modified, re-reads a changed one, keeps the last good on errors', async () => {
    const path = join(dir, 'alice.ics');
    writeFileSync(path, ALICE);
    const feed = new CalendarFeed(feedConfig({ source: path }), { clock });
    expect(await feed.poll()).toEqual({ outcome: 'updated' });
    const first = feed.snapshot;
    expect(await feed.poll()).toEqual({ outcome: 'not-modified' });
    writeFileSync(path, SMALL);
    utimesSync(path, new Date(), new Date(Date.now() + 5_000));
    expect(await feed.poll()).toEqual({ outcome: 'updated' });
    expect(feed.snapshot).not.toBe(first);
    rmSync(path);
    expect(await feed.poll()).toEqual({ outcome: 'failed', error: 'cannot read file: ENOENT' });
    expect(feed.snapshot!.eventCount).toBe(1);
  });
});

class ManualScheduler implements PollerScheduler {
  #next = 1;
  readonly timers = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.timers.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  delays(): number[] {
    return [...this.timers.values()].map((t) => t.ms).sort((a, b) => a - b);
  }
  /** Fire every timer due within `ms`. */
  fire(ms = 0): void {
    for (const [id, t] of [...this.timers]) {
      if (t.ms <= ms) {
        this.timers.delete(id);
        t.fn();
      }
    }
  }
}

const settle = (poller: CalendarPoller): Promise<void> => poller.whenIdle();

describe('CalendarPoller', () => {
  it('polls on start, then every interval after each poll; add, update and remove at run time', async () => {
    const scheduler = new ManualScheduler();
    const events: [string, CalendarSnapshot | null][] = [];
    const poller = new CalendarPoller({ scheduler, clock, intervalMs: 30_000, onSnapshot: (feed, snap) => events.push([feed.id, snap]) });
    handler = (req, res) => (req.url?.startsWith('/b') ? serve(SMALL)(req, res) : etagged(ALICE, '"a1"')(req, res));
    poller.add(feedConfig({ id: 'a', source: `${base}/a.ics` }));
    poller.add(feedConfig({ id: 'b', extension: '1002', source: `${base}/b.ics` }));
    expect(scheduler.timers.size).toBe(0); // not started

    poller.start();
    expect(scheduler.delays()).toEqual([0, 0]);
    scheduler.fire();
    await settle(poller);
    expect(events.map(([id, s]) => [id, s?.eventCount])).toEqual(expect.arrayContaining([['a', 12], ['b', 1]]));
    expect(scheduler.delays()).toEqual([30_000, 30_000]);

    // next round: 304 for a, unchanged body for b: no snapshot events
    events.length = 0;
    scheduler.fire(30_000);
    await settle(poller);
    expect(events).toEqual([]);
    expect(poller.statuses().map((s) => s.consecutiveFailures)).toEqual([0, 0]);

    // timing-only update keeps the feed and its snapshot
    const a = poller.get('a')!;
    expect(poller.update(feedConfig({ id: 'a', source: `${base}/a.ics`, timeoutMs: 5_000, intervalMs: 10_000 }))).toBe(a);
    expect(a.snapshot).not.toBeNull();
    expect(scheduler.delays()).toEqual([10_000, 30_000]);

    // a new source resets the feed: the old snapshot is withdrawn, the new feed polled at once
    const a2 = poller.update(feedConfig({ id: 'a', source: `${base}/b.ics?as-a` }));
    expect(a2).not.toBe(a);
    expect(events).toEqual([['a', null]]);
    expect(scheduler.delays()).toEqual([0, 30_000]);
    scheduler.fire();
    await settle(poller);
    expect(events.at(-1)?.[0]).toBe('a');
    expect(events.at(-1)?.[1]?.eventCount).toBe(1);

    expect(poller.remove('b')).toBe(true);
    expect(events.at(-1)).toEqual(['b', null]);
    expect(poller.remove('b')).toBe(false);
    expect(scheduler.delays()).toEqual([30_000]);
    expect(() => poller.add(feedConfig({ id: 'a' }))).toThrow(/already exists/);

    await poller.stop();
    expect(scheduler.timers.size).toBe(0);
    expect(poller.running).toBe(false);
  });

  it('never runs two polls of one feed at once', async () => {
    const scheduler = new ManualScheduler();
    const poller = new CalendarPoller({ scheduler, clock });
    const pending: (() => void)[] = [];
    handler = (req, res) => pending.push(() => serve(SMALL)(req, res));
    poller.add(feedConfig({ id: 'a', source: `${base}/slow.ics` }));
    poller.start();
    scheduler.fire();
    const manual = poller.pollNow('a');
    await new Promise<void>((resolve) => {
      const wait = (): void => void (pending.length > 0 ? resolve() : setTimeout(wait, 5));
      wait();
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(requests).toHaveLength(1);
    expect(scheduler.timers.size).toBe(0); // the next poll is only scheduled when this one ends
    pending.shift()!();
    await manual;
    await settle(poller);
    expect(scheduler.delays()).toEqual([60_000]);
    await poller.stop();
  });

  it('stop() aborts a running poll and waits for it', async () => {
    const scheduler = new ManualScheduler();
    const poller = new CalendarPoller({ scheduler, clock });
    handler = (_req, res) => void hanging.push(res);
    const feed = poller.add(feedConfig({ id: 'a', source: `${base}/hang.ics` }));
    poller.start();
    scheduler.fire();
    await new Promise<void>((resolve) => {
      const wait = (): void => void (feed.polling && requests.length > 0 ? resolve() : setTimeout(wait, 5));
      wait();
    });
    await poller.stop();
    expect(feed.polling).toBe(false);
    expect(feed.status().lastError).toBe('aborted');
    expect(scheduler.timers.size).toBe(0);
  });

  it('the default scheduler unrefs its timers', () => {
    const handle = unrefScheduler.setTimeout(() => undefined, 60_000) as ReturnType<typeof setTimeout>;
    expect(handle.hasRef()).toBe(false);
    unrefScheduler.clearTimeout(handle);
  });
});
