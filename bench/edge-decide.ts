/**
 * The decision path under a flood from many distinct addresses: Edge.decide() with the default
 * guards (allowlist, blocklist, flood, scanner signatures, auth-failure tracker) for requests from
 * 1,000,000 distinct sources, then a flood from 20,000 sources that all get blocked. Reports the
 * decision rate, latency percentiles and heap growth: the flood detector's LRU bound must hold
 * memory flat whatever the number of sources.
 *
 *   npm run bench        (or: node --expose-gc dist/bench/edge-decide.js --sources 1000000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../src/config/index.js';
import { Edge } from '../src/edge.js';
import type { SecurityEvent } from '../src/events.js';
import { Allowlist } from '../src/guard/allowlist.js';
import { AuthFailureTracker } from '../src/guard/auth-failures.js';
import { Blocklist } from '../src/guard/blocklist.js';
import { DEFAULT_SIGNATURES } from '../src/guard/default-signatures.js';
import { FloodDetector } from '../src/guard/flood.js';
import { ScannerGuard, SignatureMatcher } from '../src/guard/signatures.js';
import { ThreatBoard } from '../src/guard/threat-score.js';
import { createMetrics } from '../src/observability/metrics.js';
import type { SipRequestView } from '../src/request.js';
import { SqliteBlockRepository, WriteBehindBlockRepository } from '../src/store/blocks.js';
import { openDatabase } from '../src/store/database.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) ? v : fallback;
}

const SOURCES = arg('sources', 1_000_000);
const FLOODERS = arg('flooders', 20_000);
const gc = (globalThis as { gc?: () => void }).gc;

function heapMiB(): number {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function ipOf(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function view(ip: string, at: number, ua = 'Yealink SIP-T46S'): SipRequestView {
  const uri = { raw: 'sip:1001@pbx.example.com', scheme: 'sip', user: '1001', host: 'pbx.example.com', port: null };
  return {
    method: 'OPTIONS', sourceIp: ip, sourcePort: 5060, transport: 'udp', requestUri: uri,
    from: { uri, displayName: null, tag: 'a' }, to: { uri, displayName: null, tag: null },
    callId: 'c', cseq: 1, userAgent: ua, contact: null, inDialog: false, credentials: null, headers: new Map([['user-agent', ua]]), receivedAt: at,
  };
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function main(): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-bench-'));
  const config = parseConfig('', { file: 'defaults', baseDir: dir });
  const db = openDatabase(path.join(dir, 'bench.db'));
  const repository = new WriteBehindBlockRepository(new SqliteBlockRepository(db));
  let events = 0;
  const edge = new Edge({
    clock: () => 0,
    guards: {
      allowlist: new Allowlist(['192.0.2.0/24']),
      blocklist: new Blocklist({ repository, escalation: { factor: 2, maxDurationMs: 604_800_000, lookbackMs: 30 * 86_400_000 } }),
      flood: new FloodDetector({ limit: { maxRequests: config.flood.max_requests, windowMs: config.flood.window }, maxTrackedSources: config.flood.max_tracked_sources }),
      scanners: new ScannerGuard(new SignatureMatcher(DEFAULT_SIGNATURES), { blockAfter: 1, windowMs: 86_400_000, maxTrackedSources: 100_000 }),
      authFailures: new AuthFailureTracker({ maxFailures: 10, windowMs: 3_600_000, enumeration: { maxUsernames: 5, windowMs: 600_000 }, distributed: { maxSources: 10, windowMs: 600_000 }, maxTracked: 100_000 }),
      threat: new ThreatBoard(),
    },
    events: { record: (_e: SecurityEvent) => void events++ },
    metrics: createMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
    policy: { blockedAction: 'reject', blockedStatus: 403, blockedReason: 'Forbidden', floodBlockMs: 300_000, scannerBlockMs: 86_400_000, authFailureBlockMs: 3_600_000, pbxTarget: { uri: 'sip:127.0.0.1:5060' } },
  });

  const rows: string[][] = [];
  const run = (name: string, count: number, make: (i: number) => SipRequestView): void => {
    const times = new Float64Array(count);
    const before = heapMiB();
    const started = process.hrtime.bigint();
    let refused = 0;
    for (let i = 0; i < count; i++) {
      const t0 = process.hrtime.bigint();
      if (edge.decide(make(i)).kind !== 'forward') refused++;
      times[i] = Number(process.hrtime.bigint() - t0) / 1000;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const after = heapMiB();
    times.sort();
    rows.push([name, count.toLocaleString('en'), Math.round(count / seconds).toLocaleString('en'), percentile(times, 0.5).toFixed(1), percentile(times, 0.99).toFixed(1), String(refused), before.toFixed(0), after.toFixed(0)]);
  };

  const heapAtStart = heapMiB();
  run(`1 request from each of ${SOURCES.toLocaleString('en')} sources`, SOURCES, (i) => view(ipOf(i), i));
  run('the same again (LRU full, evicting)', SOURCES, (i) => view(ipOf(i + SOURCES), SOURCES + i));
  run(`flood: 40 requests in 1 s from each of ${FLOODERS.toLocaleString('en')} sources`, FLOODERS * 40, (i) => view(ipOf(3_000_000 + (i % FLOODERS)), 3_000_000 + Math.floor(i / FLOODERS) * 25));
  run('scanner User-Agent from 10,000 sources', 10_000, (i) => view(ipOf(4_000_000 + i), 4_000_000 + i, 'friendly-scanner'));
  repository.flush();

  const header = ['case', 'requests', 'decisions/s', 'p50 µs', 'p99 µs', 'refused', 'heap before MiB', 'heap after MiB'];
  console.log(`edge-decide: Node ${process.version}; flood LRU cap ${config.flood.max_tracked_sources.toLocaleString('en')} sources; heap at start ${heapAtStart.toFixed(0)} MiB${gc ? '' : ' (run with --expose-gc for exact heap figures)'}`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`\n${events.toLocaleString("en")} security events recorded`);
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

main();
