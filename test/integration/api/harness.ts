/**
 * Starts the real admin server (createAdminServer + registerApi) on 127.0.0.1:0 with
 * real guards, a real SQLite file in a temp dir, and a clock the test moves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { registerApi, type ApiDeps } from '../../../src/admin/api/index.js';
import { AdminAuthGuard, hashToken, type TokenEntry } from '../../../src/admin/auth.js';
import { createAdminServer } from '../../../src/admin/server.js';
import { Allowlist } from '../../../src/guard/allowlist.js';
import { Blocklist } from '../../../src/guard/blocklist.js';
import { ThreatBoard } from '../../../src/guard/threat-score.js';
import { SqliteBlockRepository, WriteBehindBlockRepository } from '../../../src/store/blocks.js';
import { openDatabase, type Database } from '../../../src/store/database.js';
import { SqliteEventStore } from '../../../src/store/events.js';
import { SqliteTrustedNetworkStore } from '../../../src/store/trusted-networks.js';
import { httpRequest, type HttpRequest, type HttpResponse } from './http-client.js';

export const READ_TOKEN = 'read-token-0123456789abcdefghijklmnopqrstuv';
export const ADMIN_TOKEN = 'admin-token-0123456789abcdefghijklmnopqrstu';
export const T0 = Date.parse('2026-03-01T12:00:00.000Z');

export interface HarnessOptions {
  readonly metricsAuth?: 'open' | 'token';
  readonly healthAuth?: 'open' | 'token';
  readonly maxFailures?: number;
  readonly windowMs?: number;
  readonly blockForMs?: number;
  readonly configuredTrusted?: readonly string[];
  readonly tokens?: readonly TokenEntry[];
  readonly status?: ApiDeps['status'];
}

export interface Harness {
  readonly app: FastifyInstance;
  readonly port: number;
  readonly dir: string;
  readonly dbPath: string;
  readonly deps: ApiDeps;
  readonly db: Database;
  readonly blockWrites: WriteBehindBlockRepository;
  readonly events: SqliteEventStore;
  /** Every route registered after registerApi started (method + url), from an onRoute hook. */
  readonly routes: ReadonlyArray<{ method: string; url: string }>;
  now(): number;
  advance(ms: number): void;
  req(request: HttpRequest): Promise<HttpResponse>;
  /** GET/DELETE/POST with the admin token. */
  admin(method: string, path: string, body?: unknown): Promise<HttpResponse>;
  read(method: string, path: string, body?: unknown): Promise<HttpResponse>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-api-'));
  const dbPath = path.join(dir, 'sipwarden.db');
  let now = T0;
  const clock = (): number => now;
  const logger = pino({ level: 'silent' });

  const db = openDatabase(dbPath);
  const blockWrites = new WriteBehindBlockRepository(new SqliteBlockRepository(db));
  const blocklist = new Blocklist({ repository: blockWrites, escalation: { factor: 2, maxDurationMs: 604_800_000, lookbackMs: 30 * 86_400_000 } });
  const events = new SqliteEventStore(db);
  const configuredTrusted = options.configuredTrusted ?? ['10.20.0.0/16', '192.0.2.250'];
  const allowlist = new Allowlist(configuredTrusted);
  const trustedNetworks = new SqliteTrustedNetworkStore(db);

  const adminAuthGuard = new AdminAuthGuard(
    { maxFailures: options.maxFailures ?? 5, windowMs: options.windowMs ?? 600_000, blockForMs: options.blockForMs ?? 600_000 },
    { blocklist, blockWrites, events, logger },
  );

  const deps: ApiDeps = {
    clock,
    logger,
    blocklist,
    blockWrites,
    blockHistory: blockWrites,
    events,
    threat: new ThreatBoard(),
    allowlist,
    trustedNetworks,
    configuredTrustedNetworks: configuredTrusted,
    tokens: options.tokens ?? [
      { name: 'grafana', sha256: hashToken(READ_TOKEN), role: 'read' },
      { name: 'ops', sha256: hashToken(ADMIN_TOKEN).toUpperCase(), role: 'admin' },
    ],
    metricsAuth: options.metricsAuth ?? 'open',
    healthAuth: options.healthAuth ?? 'open',
    adminAuthGuard,
    defaultBlockDurationMs: 3_600_000,
    version: '9.9.9-test',
    status: options.status ?? (() => ({ startedAt: T0 - 90_000, drachtioConnected: true, databaseWritable: true })),
  };

  const routes: Array<{ method: string; url: string }> = [];
  const app = await createAdminServer({
    logger,
    health: () => ({ drachtioConnected: true, databaseWritable: true }),
    renderMetrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: '# metrics\n' }),
    registerApi: (root) => {
      root.addHook('onRoute', (route) => {
        for (const method of Array.isArray(route.method) ? route.method : [route.method]) routes.push({ method, url: route.url });
      });
      registerApi(root, deps);
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const port = address.port;

  const req = (request: HttpRequest): Promise<HttpResponse> => httpRequest(port, request);
  return {
    app,
    port,
    dir,
    dbPath,
    deps,
    db,
    blockWrites,
    events,
    routes,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    req,
    admin: (method, p, body) => req({ method, path: p, token: ADMIN_TOKEN, ...(body === undefined ? {} : { body }) }),
    read: (method, p, body) => req({ method, path: p, token: READ_TOKEN, ...(body === undefined ? {} : { body }) }),
    close: async () => {
      await app.close();
      events.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
