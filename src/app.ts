/**
 * Composition root: builds every part from the config, wires them, starts and stops them.
 * The only module that knows every other one.
 */
import { lookup } from 'node:dns/promises';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerApi } from './admin/api/index.js';
import { AdminAuthGuard, AdminSessions } from './admin/auth.js';
import { createAdminServer } from './admin/server.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/index.js';
import { Edge, type EdgeGuards, type EdgePolicy } from './edge.js';
import type { Feature, FeatureContext } from './feature.js';
import { DndFeature } from './features/dnd.js';
import { MfaFeature, type MfaHooks } from './features/mfa.js';
import { RoutingFeature } from './features/routing.js';
import { Allowlist } from './guard/allowlist.js';
import { AuthFailureTracker } from './guard/auth-failures.js';
import { Blocklist } from './guard/blocklist.js';
import { DEFAULT_SIGNATURES } from './guard/default-signatures.js';
import { FloodDetector } from './guard/flood.js';
import { ScannerGuard, SignatureMatcher, type SignatureRule } from './guard/signatures.js';
import { ThreatBoard } from './guard/threat-score.js';
import { createLogger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { SipFrontEnd } from './sip/front-end.js';
import { SqliteBlockRepository, WriteBehindBlockRepository } from './store/blocks.js';
import { isWritable, openDatabase, type Database } from './store/database.js';
import { SqliteEventStore } from './store/events.js';
import { SqliteTrustedNetworkStore } from './store/trusted-networks.js';
import { RedisBlockSharing, SharedBlockRepository } from './store/redis-blocks.js';
import type { BlockRepository } from './guard/block.js';
import { normalizeIp, normalizeTarget } from './net/ip.js';
import { SIPWARDEN_VERSION } from './version.js';

export interface AppOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Config keys that only take effect at start; a reload that changes them says so. */
const RESTART_ONLY = ['drachtio', 'admin', 'database', 'admin_api'] as const;

export class App {
  private current: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly db: Database;
  readonly blocks: SqliteBlockRepository;
  readonly blockWrites: WriteBehindBlockRepository;
  readonly events: SqliteEventStore;
  readonly trustedNetworks: SqliteTrustedNetworkStore;
  guards: EdgeGuards;
  readonly edge: Edge;
  readonly sip: SipFrontEnd;
  readonly adminAuthGuard: AdminAuthGuard;
  readonly features: readonly Feature[];
  readonly sessions: AdminSessions;
  /** Blocks shared with other nodes and drachtio-server through Redis, when configured. */
  readonly sharing: RedisBlockSharing | null;
  /** Every route of the admin listener (method, url), as registered. */
  readonly routes: Array<{ method: string; url: string }> = [];
  readonly startedAt: number;
  private admin: FastifyInstance | null = null;
  /** Addresses of a PBX configured by host name, resolved at start. */
  private pbxAddresses: string[] = [];
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | null = null;

  constructor(config: Config, options: AppOptions = {}) {
    this.current = config;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger({ level: config.log.level });
    this.metrics = createMetrics();
    this.db = openDatabase(config.database.path, { logger: this.logger });
    this.blocks = new SqliteBlockRepository(this.db);
    this.blockWrites = new WriteBehindBlockRepository(this.blocks, (err) => this.logger.error({ err }, 'could not write blocks to the database; will retry'));
    this.events = new SqliteEventStore(this.db, {
      onDrop: () => this.metrics.eventsDroppedTotal.inc(),
      onError: (err) => this.logger.error({ err }, 'could not write security events to the database; will retry'),
    });
    this.startedAt = this.clock();
    this.trustedNetworks = new SqliteTrustedNetworkStore(this.db);

    const redisUrl = config.redis.url;
    this.sharing = redisUrl === null ? null : new RedisBlockSharing({ ...config.redis, url: redisUrl }, this.logger.child({ component: 'redis' }));
    const repository = this.sharing ? new SharedBlockRepository(this.blockWrites, this.sharing) : this.blockWrites;
    this.guards = buildGuards(config, repository, this.trustedNetworks.list().map((n) => n.cidr));
    this.guards.blocklist.restore(this.clock());
    this.sessions = new AdminSessions(config.mfa.admin_session_ttl);
    this.features = buildFeatures(
      { config, db: this.db, clock: this.clock, logger: this.logger, metrics: this.metrics, events: this.events },
      {
        sessions: this.sessions,
        reportAuthFailure: (ip, username, now) => this.edge.reportAuthFailure(ip, username, now, 'mfa code'),
        adminLoginFailed: (ip, now, reason) => this.adminAuthGuard.recordFailure(ip, now, { reason, path: '/api/v1/auth/login', method: 'POST' }),
      },
    );
    this.edge = new Edge({
      clock: this.clock,
      guards: this.guards,
      events: this.events,
      metrics: this.metrics,
      logger: this.logger,
      policy: buildPolicy(config),
      stages: this.features.flatMap((f) => f.stages ?? []),
      observers: this.features.flatMap((f) => f.observers ?? []),
    });
    this.sip = new SipFrontEnd({
      connection:
        config.drachtio.mode === 'outbound'
          ? { mode: 'outbound', listenHost: config.drachtio.listen_host, listenPort: config.drachtio.listen_port, secret: config.drachtio.secret }
          : {
              mode: 'inbound',
              host: config.drachtio.host,
              port: config.drachtio.port,
              secret: config.drachtio.secret,
              reconnectMaxDelayMs: config.drachtio.reconnect_max_delay,
            },
      recordRoute: config.pbx.record_route,
      finalTimeoutMs: config.pbx.final_timeout,
      handler: this.edge,
      logger: this.logger.child({ component: 'sip' }),
      clock: this.clock,
      onConnectionChange: (connected) => {
        this.metrics.drachtioConnected.set(connected ? 1 : 0);
      },
      onHandlerError: (stage) => this.metrics.sipHandlerErrorsTotal.inc({ stage }),
    });
    const bruteForce = config.admin_api.brute_force;
    this.adminAuthGuard = new AdminAuthGuard(
      { maxFailures: bruteForce.max_failures, windowMs: bruteForce.window, blockForMs: bruteForce.block_for },
      { blocklist: this.guards.blocklist, blockWrites: this.blockWrites, events: this.events, logger: this.logger.child({ component: 'admin-auth' }) },
    );
    this.refreshBlockGauge();
  }

  get config(): Config {
    return this.current;
  }

  /**
   * Apply a new config (SIGHUP): thresholds, signatures, trusted networks, blocking policy and
   * log level change in place; blocks and counters are kept. Everything is built before anything
   * changes, so a config that cannot be applied leaves the running one untouched (it throws).
   */
  reload(next: Config): { restartNeeded: string[] } {
    const matcher = next.scanners.enabled ? new SignatureMatcher(buildSignatureRules(next)) : null;
    const previous = this.current;
    const restartNeeded = RESTART_ONLY.filter((key) => JSON.stringify(previous[key]) !== JSON.stringify(next[key]));

    const g = this.guards;
    const flood = next.flood.enabled ? (g.flood ?? buildFlood(next)) : null;
    flood?.reconfigure(floodLimits(next));
    let scanners = next.scanners.enabled ? g.scanners : null;
    if (matcher) {
      if (scanners) scanners.reconfigure(matcher, { blockAfter: next.scanners.block_after, windowMs: next.scanners.block_for });
      else scanners = new ScannerGuard(matcher, scannerOptions(next));
    }
    const authFailures = next.auth_failures.enabled ? (g.authFailures ?? buildAuthFailures(next)) : null;
    authFailures?.reconfigure(authFailureOptions(next));
    g.blocklist.reconfigure(escalationOf(next));
    this.syncAllowlist(next);

    this.guards = { ...g, flood, scanners, authFailures };
    this.current = next;
    this.logger.level = next.log.level;
    this.edge.reconfigure({ guards: this.guards, policy: buildPolicy(next) });
    for (const feature of this.features) feature.reload?.(next);

    this.events.record({ type: 'config-reload', severity: 'info', ip: null, username: null, method: null, details: { restartNeeded }, at: this.clock() });
    this.logger.info({ restartNeeded }, restartNeeded.length > 0 ? 'config reloaded; some changes need a restart' : 'config reloaded');
    return { restartNeeded };
  }

  /** Make the allowlist equal to config networks + the PBX + networks added at run time. */
  private syncAllowlist(config: Config): void {
    const wanted = new Set([...configuredTrusted(config), ...this.pbxAddresses, ...this.trustedNetworks.list().map((n) => n.cidr)].map((e) => normalizeTarget(e) ?? e));
    const allowlist = this.guards.allowlist;
    for (const entry of allowlist.list()) if (!wanted.has(entry)) allowlist.remove(entry);
    for (const entry of wanted) allowlist.add(entry);
  }

  /** The admin HTTP server, once started. */
  get adminServer(): FastifyInstance | null {
    return this.admin;
  }

  /** Where the admin listener ended up (port 0 in tests picks a free one). */
  get adminAddress(): { host: string; port: number } | null {
    const address = this.admin?.server.address();
    if (!address || typeof address === 'string') return null;
    return { host: address.address, port: address.port };
  }

  health(): { drachtioConnected: boolean; databaseWritable: boolean } {
    return { drachtioConnected: this.sip.connected, databaseWritable: isWritable(this.db) };
  }

  async start(): Promise<void> {
    const { config } = this;
    await this.trustPbxByName();
    this.admin = await createAdminServer({
      logger: this.logger,
      bodyLimitBytes: config.admin.body_limit_bytes,
      health: () => this.health(),
      renderMetrics: async () => {
        this.refreshBlockGauge();
        this.refreshTopOffenders();
        return { contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() };
      },
      registerApi: (root) => {
        root.addHook('onRoute', (route) => {
          for (const method of Array.isArray(route.method) ? route.method : [route.method]) this.routes.push({ method, url: route.url });
        });
        registerApi(root, {
          clock: this.clock,
          logger: this.logger.child({ component: 'api' }),
          version: SIPWARDEN_VERSION,
          blocklist: this.guards.blocklist,
          blockWrites: this.blockWrites,
          blockHistory: this.blockWrites,
          events: this.events,
          threat: this.guards.threat,
          allowlist: this.guards.allowlist,
          trustedNetworks: this.trustedNetworks,
          configuredTrustedNetworks: configuredTrusted(config),
          tokens: config.admin_api.tokens,
          metricsAuth: config.admin_api.metrics_auth,
          healthAuth: config.admin_api.health_auth,
          adminAuthGuard: this.adminAuthGuard,
          defaultBlockDurationMs: config.admin_api.default_block_duration,
          status: () => ({ startedAt: this.startedAt, ...this.health() }),
          features: this.features.flatMap((f) => (f.api ? [f.api] : [])),
          sessions: this.sessions,
        });
      },
    });
    await this.admin.listen({ host: config.admin.host, port: config.admin.port });
    this.logger.info({ admin: this.adminAddress }, 'admin HTTP listening');

    this.every(config.blocking.sweep_interval, () => this.sweepExpiredBlocks());
    this.every(config.events.prune_interval, () => this.pruneEvents());
    if (this.sharing) {
      this.every(config.redis.sync_interval, () => void this.syncShared());
      void this.syncShared();
    }
    this.pruneEvents();
    for (const feature of this.features) await feature.start?.();
    this.sip.start();
  }

  /** A PBX given by host name is trusted by the addresses the name resolves to at start. */
  private async trustPbxByName(): Promise<void> {
    const { host } = this.config.pbx;
    if (normalizeIp(host) !== null) return;
    try {
      const addresses = await lookup(host, { all: true });
      this.pbxAddresses = addresses.map((a) => a.address);
      for (const address of this.pbxAddresses) this.guards.allowlist.add(address);
      this.logger.info({ host, addresses: addresses.map((a) => a.address) }, 'PBX host name resolved; its addresses are trusted');
    } catch (err) {
      this.logger.warn({ host, err: (err as Error).message }, 'cannot resolve the PBX host name; its addresses are not on the allowlist (use an IP address or add it to trusted_networks)');
    }
  }

  /** Stop taking requests, let in-flight transactions finish (bounded), flush and close the database. */
  stop(graceMs = 5000): Promise<void> {
    this.stopping ??= this.doStop(graceMs);
    return this.stopping;
  }

  private async doStop(graceMs: number): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.sip.stop(graceMs).catch((err: unknown) => this.logger.warn({ err }, 'SIP front end did not stop cleanly'));
    await this.admin?.close().catch((err: unknown) => this.logger.warn({ err }, 'admin HTTP did not close cleanly'));
    for (const feature of this.features) {
      await Promise.resolve(feature.stop?.()).catch((err: unknown) => this.logger.warn({ err, feature: feature.name }, 'feature did not stop cleanly'));
    }
    this.blockWrites.flush();
    await this.sharing?.close();
    this.events.close();
    this.db.close();
    this.logger.info('stopped');
  }

  /** Reconcile blocks with the other nodes and drachtio-server's set (Redis). Never throws. */
  async syncShared(): Promise<void> {
    if (!this.sharing) return;
    const now = this.clock();
    try {
      const { adopt, lifted } = await this.sharing.sync(this.guards.blocklist.active(now), now);
      for (const block of adopt) {
        if (this.guards.allowlist.isTrusted(block.target)) continue;
        if (this.guards.blocklist.adopt(block, now)) this.logger.info({ ip: block.target, source: block.source }, 'block shared by another node');
      }
      for (const target of lifted) {
        if (this.guards.blocklist.unblock(target, now)) this.logger.info({ ip: target }, 'block lifted by another node');
      }
      this.refreshBlockGauge();
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'Redis sync skipped');
    }
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(() => {
      try {
        fn();
      } catch (err) {
        this.logger.error({ err }, 'periodic task failed');
      }
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private sweepExpiredBlocks(): void {
    const now = this.clock();
    for (const block of this.guards.blocklist.sweep(now)) {
      this.events.record({ type: 'block-expired', severity: 'info', ip: block.target, username: null, method: null, details: { source: block.source, reason: block.reason }, at: now });
      this.logger.info({ ip: block.target, source: block.source }, 'block expired');
    }
    this.refreshBlockGauge();
  }

  private pruneEvents(): void {
    const cutoff = this.clock() - this.config.events.retention_days * 86_400_000;
    const removed = this.events.prune(cutoff);
    if (removed > 0) this.logger.info({ removed }, 'pruned old security events');
  }

  private refreshTopOffenders(): void {
    this.events.flush();
    this.metrics.topOffenders.reset();
    for (const { ip, count } of this.events.topIps(this.clock() - 3_600_000, 10)) this.metrics.topOffenders.set({ ip }, count);
  }

  private refreshBlockGauge(): void {
    const counts = new Map<string, number>();
    for (const block of this.guards.blocklist.active(this.clock())) counts.set(block.source, (counts.get(block.source) ?? 0) + 1);
    this.metrics.blocksActive.reset();
    for (const [source, n] of counts) this.metrics.blocksActive.set({ source }, n);
  }
}

/** The features beyond the security guards, in stage order (DND before queue routing). */
function buildFeatures(context: FeatureContext, mfaHooks: MfaHooks): Feature[] {
  const dnd = context.config.dnd.enabled ? new DndFeature(context) : null;
  const isInDnd = (extension: string, now: number): boolean => dnd?.service.status(extension, now).dnd ?? false;
  const routing = context.config.routing.enabled ? new RoutingFeature(context, isInDnd) : null;
  const mfa = context.config.mfa.enabled ? new MfaFeature(context, mfaHooks) : null;
  return [...(dnd ? [dnd] : []), ...(routing ? [routing] : []), ...(mfa ? [mfa] : [])];
}

/** Networks trusted by the config file: listed by the API, never removable at run time. */
function configuredTrusted(config: Config): string[] {
  return [...config.trusted_networks, ...(normalizeIp(config.pbx.host) === null ? [] : [config.pbx.host])];
}

function buildPolicy(config: Config): EdgePolicy {
  const { pbx } = config;
  return {
    blockedAction: config.blocking.action,
    blockedStatus: config.blocking.status,
    blockedReason: config.blocking.reason,
    floodBlockMs: config.flood.block_for,
    scannerBlockMs: config.scanners.block_for,
    authFailureBlockMs: config.auth_failures.block_for,
    pbxTarget: { uri: `sip:${formatHost(pbx.host)}:${pbx.port};transport=${pbx.transport}` },
  };
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function buildSignatureRules(config: Config): SignatureRule[] {
  const { scanners } = config;
  const defaults = scanners.use_default_rules
    ? DEFAULT_SIGNATURES.map((rule) => {
        if (scanners.disabled_rules.includes(rule.name)) return { ...rule, enabled: false };
        if (scanners.enabled_rules.includes(rule.name)) return { ...rule, enabled: true };
        return rule;
      })
    : [];
  const own = scanners.rules.map(
    (rule): SignatureRule => ({
      name: rule.name,
      header: rule.header,
      match: rule.match,
      pattern: rule.pattern,
      caseSensitive: rule.case_sensitive,
      enabled: true,
      ...(rule.description === undefined ? {} : { description: rule.description }),
    }),
  );
  return [...defaults, ...own];
}

function escalationOf(config: Config) {
  const { escalation } = config.blocking;
  return escalation.enabled
    ? { factor: escalation.factor, maxDurationMs: escalation.max_duration, lookbackMs: escalation.lookback }
    : { factor: 1, maxDurationMs: Number.MAX_SAFE_INTEGER, lookbackMs: escalation.lookback };
}

function floodLimits(config: Config) {
  return {
    limit: { maxRequests: config.flood.max_requests, windowMs: config.flood.window },
    perMethod: Object.fromEntries(Object.entries(config.flood.methods).map(([m, l]) => [m, { maxRequests: l.max_requests, windowMs: l.window }])),
  };
}

function buildFlood(config: Config): FloodDetector {
  return new FloodDetector({ ...floodLimits(config), maxTrackedSources: config.flood.max_tracked_sources });
}

function scannerOptions(config: Config) {
  return { blockAfter: config.scanners.block_after, windowMs: config.scanners.block_for, maxTrackedSources: config.scanners.max_tracked_sources };
}

function authFailureOptions(config: Config) {
  const af = config.auth_failures;
  return {
    maxFailures: af.max_failures,
    windowMs: af.window,
    enumeration: { maxUsernames: af.enumeration.max_usernames, windowMs: af.enumeration.window },
    distributed: { maxSources: af.distributed.max_sources, windowMs: af.distributed.window },
  };
}

function buildAuthFailures(config: Config): AuthFailureTracker {
  return new AuthFailureTracker({ ...authFailureOptions(config), maxTracked: config.auth_failures.max_tracked });
}

function buildGuards(config: Config, repository: BlockRepository, runtimeTrusted: string[]): EdgeGuards {
  return {
    allowlist: new Allowlist([...configuredTrusted(config), ...runtimeTrusted]),
    blocklist: new Blocklist({ repository, escalation: escalationOf(config) }),
    flood: config.flood.enabled ? buildFlood(config) : null,
    scanners: config.scanners.enabled ? new ScannerGuard(new SignatureMatcher(buildSignatureRules(config)), scannerOptions(config)) : null,
    authFailures: config.auth_failures.enabled ? buildAuthFailures(config) : null,
    threat: new ThreatBoard(),
  };
}
