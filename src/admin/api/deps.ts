/**
 * What the admin API needs from the rest of sipwarden, as narrow structural interfaces.
 * The concrete classes (Blocklist, SqliteBlockRepository, SqliteEventStore, ThreatBoard,
 * Allowlist, SqliteTrustedNetworkStore) satisfy them; tests may pass the real ones.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { EventSink, EventType } from '../../events.js';
import type { BlockHistoryQuery, HistoricalBlock } from '../../store/blocks.js';
import type { EventQuery, StoredEvent } from '../../store/events.js';
import type { Block, BlockSource } from '../../guard/block.js';
import type { AdminAuthGuard, AdminSessions, TokenEntry } from '../auth.js';
import type { ApiInstance } from './routes/types.js';

/** Routes of one feature (DND, skills, MFA...), registered under /api/v1 with its OpenAPI tag. */
export interface ApiFeature {
  readonly tag: { readonly name: string; readonly description: string };
  register(api: ApiInstance): void;
}

export interface ApiBlocklist {
  find(ip: string, now: number): Block | null;
  block(request: { target: string; source: BlockSource; reason: string; durationMs: number | null }, now: number): Block;
  unblock(target: string, now: number): boolean;
  active(now: number): readonly Block[];
}

export interface Page<T> {
  readonly total: number;
  readonly items: readonly T[];
}

export type { BlockHistoryQuery, HistoricalBlock } from '../../store/blocks.js';
export type { EventQuery, StoredEvent } from '../../store/events.js';

export interface ApiBlockHistory {
  history(query: BlockHistoryQuery): Page<HistoricalBlock>;
}

export interface ApiEventStore extends EventSink {
  query(query: EventQuery): Page<StoredEvent>;
  countsByType(since: number): Partial<Record<EventType, number>>;
  topIps(since: number, n: number): ReadonlyArray<{ readonly ip: string; readonly count: number }>;
  topUsernames(since: number, n: number): ReadonlyArray<{ readonly username: string; readonly count: number }>;
  /** Write buffered events now, so that a query sees them. */
  flush(): void;
}

export interface ApiThreatBoard {
  score(ip: string, now: number): { readonly score: number; readonly signals: readonly unknown[] };
}

export interface ApiAllowlist {
  isTrusted(ip: string): boolean;
  add(cidr: string): void;
  remove(cidr: string): unknown;
}

export interface TrustedNetwork {
  readonly cidr: string;
  readonly note: string | null;
  readonly createdAt: number;
}

export interface ApiTrustedNetworkStore {
  list(): readonly TrustedNetwork[];
  add(cidr: string, note: string | null, now: number): unknown;
  remove(cidr: string): unknown;
}

export interface ApiStatus {
  /** Clock ms when the daemon started. */
  readonly startedAt: number;
  readonly drachtioConnected: boolean;
  readonly databaseWritable: boolean;
}

export type EndpointAuth = 'open' | 'token';

export interface ApiDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** sipwarden's version (package.json): in /status and in the OpenAPI document. */
  readonly version: string;
  readonly blocklist: ApiBlocklist;
  /** The write-behind block repository: flushed before a block change is acknowledged. */
  readonly blockWrites: { flush(): void };
  readonly blockHistory: ApiBlockHistory;
  readonly events: ApiEventStore;
  readonly threat: ApiThreatBoard;
  readonly allowlist: ApiAllowlist;
  readonly trustedNetworks: ApiTrustedNetworkStore;
  /** Networks from the config file (trusted_networks, the PBX): listed, never removable at run time. */
  readonly configuredTrustedNetworks: readonly string[];
  readonly tokens: readonly TokenEntry[];
  readonly metricsAuth: EndpointAuth;
  readonly healthAuth: EndpointAuth;
  readonly adminAuthGuard: AdminAuthGuard;
  /** Used when POST /security/blocks names neither duration nor permanent. */
  readonly defaultBlockDurationMs: number;
  readonly status: () => ApiStatus;
  /** Session tokens from POST /api/v1/auth/login (admin users with MFA). */
  readonly sessions?: AdminSessions;
  /** Feature route modules (DND, routing, MFA), each registered under /api/v1. */
  readonly features?: readonly ApiFeature[];
}
