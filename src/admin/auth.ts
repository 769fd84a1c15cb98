/**
 * Admin HTTP authentication: bearer tokens stored as SHA-256 hashes, roles, and the
 * brute-force guard that blocks a source IP after repeated failed logins.
 *
 * Tokens are random secrets (>= 128 bits), so a fast hash is the right tool: nobody can
 * guess a preimage, and hashing lets the config hold no usable secret. Every presented
 * token is hashed and compared with every configured hash in constant time, without
 * stopping at the first match, so timing says nothing about which (or whether a) hash matched.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { EventSink } from '../events.js';
import type { Block, BlockSource } from '../guard/block.js';

export type Role = 'read' | 'admin' | 'mfa';

/** Block sources that also close the admin API to the address. */
const ADMIN_REFUSING_SOURCES: ReadonlySet<BlockSource> = new Set<BlockSource>(['admin-auth', 'manual']);

export interface TokenEntry {
  readonly name: string;
  /** SHA-256 of the token, 64 hex digits. */
  readonly sha256: string;
  readonly role: Role;
}

export interface Principal {
  readonly name: string;
  readonly role: Role;
}

/** SHA-256 (lowercase hex) of a bearer token: what goes in `admin_api.tokens[].sha256`. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random bearer token (256 bits, base64url, 43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Longest Authorization value we bother hashing; real tokens are ~43 characters. */
const MAX_TOKEN_LENGTH = 1024;
/** RFC 6750 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function parseBearer(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  const token = match?.[1];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) return null;
  return token;
}

export class BearerTokens {
  private readonly entries: ReadonlyArray<{ readonly hash: Buffer; readonly principal: Principal }>;

  constructor(tokens: readonly TokenEntry[]) {
    this.entries = tokens.map((t) => {
      if (!/^[0-9a-fA-F]{64}$/.test(t.sha256)) throw new Error(`admin token "${t.name}": sha256 must be 64 hex digits`);
      return { hash: Buffer.from(t.sha256, 'hex'), principal: { name: t.name, role: t.role } };
    });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Who presents this Authorization header, or null (missing, malformed or unknown token). */
  authenticate(authorization: string | undefined): Principal | null {
    const token = parseBearer(authorization);
    // Hash something even when the header is unusable, so that both paths cost the same.
    const presented = createHash('sha256').update(token ?? '', 'utf8').digest();
    let found: Principal | null = null;
    for (const entry of this.entries) {
      // No early exit: every configured hash is compared.
      if (timingSafeEqual(presented, entry.hash) && token !== null) found = entry.principal;
    }
    return found;
  }
}

/** read: safe methods only; admin: everything; mfa (the PBX portal): the MFA endpoints only. */
export function roleAllows(role: Role, method: string, path = ''): boolean {
  if (role === 'admin') return true;
  if (role === 'mfa') return path.startsWith('/api/v1/mfa/');
  return method === 'GET' || method === 'HEAD';
}

/**
 * Short-lived session tokens for admin users who logged in with password and second factor
 * (POST /api/v1/auth/login). Kept in memory only, as SHA-256 hashes: a restart logs everyone out.
 */
export class AdminSessions {
  private readonly sessions = new Map<string, { readonly principal: Principal; readonly expiresAt: number }>();

  constructor(private readonly ttlMs: number) {}

  /** A new session token for this admin; returned once. */
  open(name: string, now: number): { token: string; expiresAt: number } {
    this.prune(now);
    const token = generateToken();
    const expiresAt = now + this.ttlMs;
    this.sessions.set(hashToken(token), { principal: { name: `admin:${name}`, role: 'admin' }, expiresAt });
    return { token, expiresAt };
  }

  /** Who presents this Authorization header, when it carries a live session token. */
  authenticate(authorization: string | undefined, now: number): Principal | null {
    const token = parseBearer(authorization);
    if (token === null) return null;
    const session = this.sessions.get(hashToken(token));
    if (!session || session.expiresAt <= now) return null;
    return session.principal;
  }

  private prune(now: number): void {
    for (const [key, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(key);
  }
}

/** The part of the blocklist the brute-force guard needs. */
export interface AuthGuardBlocklist {
  find(ip: string, now: number): Block | null;
  block(request: { target: string; source: BlockSource; reason: string; durationMs: number | null }, now: number): Block;
}

export interface AdminAuthGuardOptions {
  /** Failed logins from one IP within `windowMs` that get it blocked. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** How long the block lasts. */
  readonly blockForMs: number;
  /** Bound on the number of source IPs tracked at once (least recently failing forgotten first). */
  readonly maxTrackedSources?: number;
}

export interface AdminAuthGuardDeps {
  readonly blocklist: AuthGuardBlocklist;
  /** Made durable right away when the guard blocks someone. */
  readonly blockWrites?: { flush(): void };
  readonly events?: EventSink;
  readonly logger?: Logger;
}

export interface FailureOutcome {
  /** Failures from this IP inside the window, this one included. */
  readonly failures: number;
  /** The block this failure triggered, if it did. */
  readonly blocked: Block | null;
}

/**
 * Counts failed admin logins per source IP in a sliding window and blocks the IP
 * (same blocklist as SIP, source "admin-auth") when it reaches the threshold.
 * Blocked IPs are refused on /api before their token is even looked at.
 */
export class AdminAuthGuard {
  private readonly failures: LRUCache<string, number[]>;
  private readonly options: AdminAuthGuardOptions;
  private readonly deps: AdminAuthGuardDeps;

  constructor(options: AdminAuthGuardOptions, deps: AdminAuthGuardDeps) {
    if (!Number.isInteger(options.maxFailures) || options.maxFailures < 1) throw new Error('maxFailures must be a positive integer');
    if (!(options.windowMs > 0) || !(options.blockForMs > 0)) throw new Error('windowMs and blockForMs must be positive');
    this.options = options;
    this.deps = deps;
    this.failures = new LRUCache({ max: options.maxTrackedSources ?? 10_000 });
  }

  /**
   * The block that keeps this IP off the admin API, if any: blocks for admin-port brute force and
   * manual blocks. Blocks for SIP behaviour (scanner, flood, auth failures) do not lock an operator
   * out of an authenticated API that usually listens on a management address; the token still decides.
   */
  blockOf(ip: string, now: number): Block | null {
    const block = this.deps.blocklist.find(ip, now);
    return block !== null && ADMIN_REFUSING_SOURCES.has(block.source) ? block : null;
  }

  /** How many failures from this IP are inside the window at `now`. */
  failureCount(ip: string, now: number): number {
    const list = this.failures.get(ip);
    if (!list) return 0;
    return list.filter((at) => at > now - this.options.windowMs).length;
  }

  recordFailure(ip: string, now: number, details: { reason: string; path: string; method: string }): FailureOutcome {
    const { maxFailures, windowMs, blockForMs } = this.options;
    const recent = (this.failures.get(ip) ?? []).filter((at) => at > now - windowMs);
    recent.push(now);
    // Only the last maxFailures timestamps matter.
    if (recent.length > maxFailures) recent.splice(0, recent.length - maxFailures);
    this.failures.set(ip, recent);
    this.deps.events?.record({
      type: 'admin-auth-failure',
      severity: 'low',
      ip,
      username: null,
      method: details.method,
      details: { reason: details.reason, path: details.path, failures: recent.length },
      at: now,
    });
    if (recent.length < maxFailures) return { failures: recent.length, blocked: null };

    this.failures.delete(ip);
    const reason = `${recent.length} failed admin API logins in ${Math.round(windowMs / 1000)} s`;
    const blocked = this.deps.blocklist.block({ target: ip, source: 'admin-auth', reason, durationMs: blockForMs }, now);
    try {
      this.deps.blockWrites?.flush();
    } catch (err) {
      this.deps.logger?.error({ err }, 'could not persist admin-auth block');
    }
    this.deps.events?.record({
      type: 'block',
      severity: 'high',
      ip,
      username: null,
      method: null,
      details: { source: 'admin-auth', reason, target: blocked.target, expiresAt: blocked.expiresAt === null ? null : new Date(blocked.expiresAt).toISOString() },
      at: now,
    });
    this.deps.logger?.warn({ ip, failures: recent.length, expiresAt: blocked.expiresAt }, 'admin API brute force: source blocked');
    return { failures: recent.length, blocked };
  }
}
