/**
 * Authentication failures, learned from the PBX's final answers: per source over a sliding
 * window (threshold -> block), distinct usernames per source (enumeration, as svwar/svcrack
 * do -> block sooner), and distinct sources per username (a distributed attack on one
 * account -> reported). Every per-key list is capped and every map is an LRU cache.
 */
import { LRUCache } from 'lru-cache';

/** 403 always; 401/407 only when the request carried Authorization or Proxy-Authorization. */
export function isAuthFailure(status: number, hadCredentials: boolean): boolean {
  if (status === 403) return true;
  return hadCredentials && (status === 401 || status === 407);
}

/** Thresholds and memory bounds of an AuthFailureTracker. */
export interface AuthFailureOptions {
  /** Failures from one source within windowMs that reach the threshold. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Distinct usernames failing from one source within windowMs that count as enumeration. */
  readonly enumeration: { readonly maxUsernames: number; readonly windowMs: number };
  /** Distinct sources failing for one username within windowMs that count as a distributed attack. */
  readonly distributed: { readonly maxSources: number; readonly windowMs: number };
  /** Sources (and usernames) remembered at most, each map an LRU cache. */
  readonly maxTracked: number;
}

/** What one failure means for its source and its username. */
export interface AuthFailureResult {
  /** Failures from this source within the window, this one included. */
  readonly failures: number;
  /** failures >= maxFailures. */
  readonly thresholdReached: boolean;
  /** Distinct usernames this source failed for within the enumeration window. */
  readonly distinctUsernames: number;
  /** distinctUsernames >= enumeration.maxUsernames. */
  readonly enumeration: boolean;
  /** Set once, when the number of sources failing for this username first reaches the limit. */
  readonly distributed: { readonly username: string; readonly sources: number } | null;
}

interface UsernameState {
  /** source ip -> last failure time */
  readonly sources: Map<string, number>;
  reported: boolean;
}

/** Sliding-window counts of authentication failures per source and per username, in bounded memory. */
export class AuthFailureTracker {
  private readonly failures: LRUCache<string, number[]>;
  /** source ip -> username -> last failure time */
  private readonly usernames: LRUCache<string, Map<string, number>>;
  private readonly targets: LRUCache<string, UsernameState>;

  constructor(private options: AuthFailureOptions) {
    this.failures = new LRUCache({ max: options.maxTracked });
    this.usernames = new LRUCache({ max: options.maxTracked });
    this.targets = new LRUCache({ max: options.maxTracked });
  }

  /** New thresholds (config reload); what was counted is kept. The memory bound is fixed at construction. */
  reconfigure(options: Omit<AuthFailureOptions, 'maxTracked'>): void {
    this.options = { ...options, maxTracked: this.options.maxTracked };
  }

  /** Count one failure of `ip` (for `username`, when known) at `now`. */
  recordFailure(ip: string, username: string | null, now: number): AuthFailureResult {
    const { maxFailures, windowMs, enumeration } = this.options;

    const times = (this.failures.get(ip) ?? []).filter((at) => at > now - windowMs);
    times.push(now);
    if (times.length > maxFailures) times.splice(0, times.length - maxFailures);
    this.failures.set(ip, times);

    const distinctUsernames = this.noteUsername(ip, username, now);

    return {
      failures: times.length,
      thresholdReached: times.length >= maxFailures,
      distinctUsernames,
      enumeration: distinctUsernames >= enumeration.maxUsernames,
      distributed: username === null ? null : this.noteTarget(username, ip, now),
    };
  }

  /** A success (2xx to a REGISTER) from this source: its failures are forgiven. */
  recordSuccess(ip: string, _now: number): void {
    this.failures.delete(ip);
    this.usernames.delete(ip);
  }

  /** Sources whose failures are remembered. */
  get trackedSources(): number {
    return this.failures.size;
  }

  /** Remember that `ip` failed for `username` (when known); how many distinct usernames it failed for in the window. */
  private noteUsername(ip: string, username: string | null, now: number): number {
    const { maxUsernames, windowMs } = this.options.enumeration;
    const names = this.usernames.get(ip);
    if (username === null && names === undefined) return 0;
    const live = names ?? new Map<string, number>();
    for (const [name, at] of live) if (at <= now - windowMs) live.delete(name);
    if (username !== null) {
      live.delete(username);
      live.set(username, now);
      // Keep one more than needed to decide, dropping the oldest.
      while (live.size > maxUsernames + 1) {
        const oldest = live.keys().next().value;
        if (oldest === undefined) break;
        live.delete(oldest);
      }
      this.usernames.set(ip, live);
    }
    return live.size;
  }

  /** Remember that `ip` failed for `username`; the distributed report when this failure first reaches maxSources. */
  private noteTarget(username: string, ip: string, now: number): { username: string; sources: number } | null {
    const { maxSources, windowMs } = this.options.distributed;
    const state = this.targets.get(username) ?? { sources: new Map<string, number>(), reported: false };
    for (const [source, at] of state.sources) if (at <= now - windowMs) state.sources.delete(source);
    state.sources.delete(ip);
    state.sources.set(ip, now);
    while (state.sources.size > maxSources) {
      const oldest = state.sources.keys().next().value;
      if (oldest === undefined) break;
      state.sources.delete(oldest);
    }
    this.targets.set(username, state);
    if (state.sources.size < maxSources) {
      state.reported = false;
      return null;
    }
    if (state.reported) return null;
    state.reported = true;
    return { username, sources: state.sources.size };
  }
}
