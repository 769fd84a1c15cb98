/**
 * Flood detection, Kamailio pike-like: more than maxRequests requests from one source within a
 * sliding window. Per source only the last maxRequests timestamps are kept (a ring), and sources
 * live in an LRU cache, so memory stays under a fixed cap however many addresses send.
 */
import { LRUCache } from 'lru-cache';

/** At most maxRequests requests per sliding windowMs. */
export interface RateLimit {
  readonly maxRequests: number;
  readonly windowMs: number;
}

/** The outcome of one request for its source. */
export interface FloodResult {
  /** More than limit.maxRequests requests within limit.windowMs. */
  readonly exceeded: boolean;
  /** Requests from the source in the window, this one included (capped at maxRequests + 1). */
  readonly count: number;
  /** The limit that tripped, or the overall one. */
  readonly limit: RateLimit;
  /** 'all', or the method whose own limit was exceeded. */
  readonly scope: string;
}

/** What a FloodDetector is built from. */
export interface FloodOptions {
  readonly limit: RateLimit;
  /** Stricter limits per method (upper-case names), checked in addition to the overall one. */
  readonly perMethod?: Readonly<Record<string, RateLimit>>;
  /** Sources remembered at most (per limit); the least recently seen are forgotten first. */
  readonly maxTrackedSources: number;
}

/** The last `size` request times of one source. */
class Ring {
  private readonly times: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(size: number) {
    this.times = new Float64Array(size);
  }

  get capacity(): number {
    return this.times.length;
  }

  /** A ring of another size holding the most recent times of this one. */
  resized(size: number): Ring {
    const ring = new Ring(size);
    const recent: number[] = [];
    for (let i = 0; i < this.filled; i++) recent.push(this.times[(this.next - this.filled + i + this.times.length * 2) % this.times.length] ?? 0);
    for (const at of recent.slice(-size)) ring.push(at);
    return ring;
  }

  private push(at: number): void {
    this.times[this.next] = at;
    this.next = (this.next + 1) % this.times.length;
    if (this.filled < this.times.length) this.filled++;
  }

  /** Record `now`; return how many recorded times (this one included) are within the window. */
  hit(now: number, windowMs: number): number {
    this.push(now);
    let count = 0;
    for (let i = 0; i < this.filled; i++) {
      if ((this.times[i] ?? 0) > now - windowMs) count++;
    }
    return count;
  }
}

/** One limit over many sources, each with its own ring, in an LRU cache. */
class SourceRates {
  private readonly sources: LRUCache<string, Ring>;

  constructor(
    public limit: RateLimit,
    maxTracked: number,
  ) {
    this.sources = new LRUCache({ max: maxTracked });
  }

  /** Record a request; the count in the window, at most maxRequests + 1. */
  hit(ip: string, now: number): number {
    const size = this.limit.maxRequests + 1;
    let ring = this.sources.get(ip);
    if (!ring || ring.capacity !== size) {
      ring = ring ? ring.resized(size) : new Ring(size);
      this.sources.set(ip, ring);
    }
    return ring.hit(now, this.limit.windowMs);
  }

  get size(): number {
    return this.sources.size;
  }
}

/** Per-source request rates: an overall limit and optional stricter per-method ones. */
export class FloodDetector {
  private readonly all: SourceRates;
  private readonly methods = new Map<string, SourceRates>();

  private readonly maxTracked: number;

  constructor(options: FloodOptions) {
    this.maxTracked = options.maxTrackedSources;
    this.all = new SourceRates(options.limit, options.maxTrackedSources);
    this.reconfigure(options);
  }

  /** New limits (config reload); what each source sent recently is kept. The source bound is fixed at construction. */
  reconfigure(options: Pick<FloodOptions, 'limit' | 'perMethod'>): void {
    this.all.limit = options.limit;
    const wanted = new Map(Object.entries(options.perMethod ?? {}).map(([m, l]) => [m.toUpperCase(), l]));
    for (const method of [...this.methods.keys()]) if (!wanted.has(method)) this.methods.delete(method);
    for (const [method, limit] of wanted) {
      const existing = this.methods.get(method);
      if (existing) existing.limit = limit;
      else this.methods.set(method, new SourceRates(limit, this.maxTracked));
    }
  }

  /** Count one request from `ip`; exceeded when it is the (maxRequests+1)-th within the window, per-method limits first. */
  hit(ip: string, method: string, now: number): FloodResult {
    const count = this.all.hit(ip, now);
    const perMethod = this.methods.get(method);
    if (perMethod) {
      const methodCount = perMethod.hit(ip, now);
      if (methodCount > perMethod.limit.maxRequests) return { exceeded: true, count: methodCount, limit: perMethod.limit, scope: method };
    }
    return { exceeded: count > this.all.limit.maxRequests, count, limit: this.all.limit, scope: 'all' };
  }

  /** Sources currently remembered (overall limit). */
  get trackedSources(): number {
    return this.all.size;
  }
}
