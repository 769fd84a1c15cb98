/**
 * Runs the whole daemon (App: real guards, SQLite in a temp dir, the admin listener on
 * 127.0.0.1:0) connected to the drachtio wire-protocol test server, with a clock the test moves,
 * and speaks to its admin API over real HTTP from chosen loopback addresses.
 */
import type { FastifyInstance } from 'fastify';
import { hashToken, type TokenEntry } from '../../../src/admin/auth.js';
import type { App } from '../../../src/app.js';
import { DrachtioWireServer } from '../../support/drachtio-wire-server.js';
import { ManualClock, startDaemon, type RunningDaemon } from '../../support/daemon.js';
import { httpRequest, type HttpRequest, type HttpResponse } from './http-client.js';

export const READ_TOKEN = 'read-token-0123456789abcdefghijklmnopqrstuv';
export const ADMIN_TOKEN = 'admin-token-0123456789abcdefghijklmnopqrstu';
/** When the daemon starts; tests run 90 s later. */
export const T0 = Date.parse('2026-03-01T12:00:00.000Z');

export interface HarnessOptions {
  readonly metricsAuth?: 'open' | 'token';
  readonly healthAuth?: 'open' | 'token';
  readonly maxFailures?: number;
  readonly windowMs?: number;
  readonly blockForMs?: number;
  readonly tokens?: readonly TokenEntry[];
}

export interface Harness {
  readonly app: FastifyInstance;
  readonly daemon: App;
  readonly port: number;
  /** The parts of the daemon tests look into, by their API names. */
  readonly deps: {
    readonly blocklist: App['guards']['blocklist'];
    readonly allowlist: App['guards']['allowlist'];
    readonly events: App['events'];
    readonly trustedNetworks: App['trustedNetworks'];
  };
  /** Every route registered on the admin listener (method + url). */
  readonly routes: ReadonlyArray<{ method: string; url: string }>;
  now(): number;
  advance(ms: number): void;
  req(request: HttpRequest): Promise<HttpResponse>;
  /** GET/DELETE/POST with the admin token. */
  admin(method: string, path: string, body?: unknown): Promise<HttpResponse>;
  read(method: string, path: string, body?: unknown): Promise<HttpResponse>;
  close(): Promise<void>;
}

function tokensYaml(tokens: readonly TokenEntry[]): string {
  if (tokens.length === 0) return '  tokens: []';
  return ['  tokens:', ...tokens.map((t) => `    - { name: ${t.name}, sha256: ${t.sha256}, role: ${t.role} }`)].join('\n');
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = new ManualClock(T0);
  const wire = await DrachtioWireServer.start();
  const tokens = options.tokens ?? [
    { name: 'grafana', sha256: hashToken(READ_TOKEN), role: 'read' as const },
    { name: 'ops', sha256: hashToken(ADMIN_TOKEN).toUpperCase(), role: 'admin' as const },
  ];
  const yaml = [
    'trusted_networks:',
    '  - 10.20.0.0/16',
    'admin_api:',
    tokensYaml(tokens),
    `  metrics_auth: ${options.metricsAuth ?? 'open'}`,
    `  health_auth: ${options.healthAuth ?? 'open'}`,
    '  brute_force:',
    `    max_failures: ${options.maxFailures ?? 5}`,
    `    window: ${options.windowMs ?? 600_000}ms`,
    `    block_for: ${options.blockForMs ?? 600_000}ms`,
  ].join('\n');
  // The PBX is 192.0.2.250: trusted by configuration, like 10.20.0.0/16.
  const running: RunningDaemon = await startDaemon({ drachtioPort: wire.port, pbxPort: 5060, pbxHost: '192.0.2.250', clock, yaml });
  await wire.waitForApp(['REGISTER']);
  const app = running.app;
  clock.advance(90_000);
  const fastify = app.adminServer;
  const address = app.adminAddress;
  if (!fastify || !address) throw new Error('the admin listener did not start');
  const port = address.port;

  const req = (request: HttpRequest): Promise<HttpResponse> => httpRequest(port, request);
  return {
    app: fastify,
    daemon: app,
    port,
    deps: { blocklist: app.guards.blocklist, allowlist: app.guards.allowlist, events: app.events, trustedNetworks: app.trustedNetworks },
    routes: app.routes,
    now: () => clock.now(),
    advance: (ms) => clock.advance(ms),
    req,
    admin: (method, p, body) => req({ method, path: p, token: ADMIN_TOKEN, ...(body === undefined ? {} : { body }) }),
    read: (method, p, body) => req({ method, path: p, token: READ_TOKEN, ...(body === undefined ? {} : { body }) }),
    close: async () => {
      await running.dispose();
      await wire.close();
    },
  };
}
