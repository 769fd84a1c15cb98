/**
 * A threat score 0-100 per source, from what it did: each signal adds its weight, and the
 * weight decays by half every halfLife since the signal was last seen. Shown in logs, events
 * and the admin API; it explains, it does not decide.
 *
 * Weights per occurrence: scanner 60, enumeration 50, flood 40, block 30, admin-auth-failure 10,
 * auth-failure 8.
 */
import { LRUCache } from 'lru-cache';

/** Something a source did that makes it more suspicious. */
export type ThreatSignal = 'flood' | 'scanner' | 'auth-failure' | 'enumeration' | 'block' | 'admin-auth-failure';

/** Points per occurrence of each signal, before decay. */
export const THREAT_WEIGHTS: Readonly<Record<ThreatSignal, number>> = {
  scanner: 60,
  enumeration: 50,
  flood: 40,
  block: 30,
  'admin-auth-failure': 10,
  'auth-failure': 8,
};

/** How often a source gave a signal, and when last. */
export interface SignalSummary {
  readonly signal: ThreatSignal;
  readonly count: number;
  readonly lastAt: number;
}

/** A source's score (integer 0-100) and the signals behind it. */
export interface ThreatScore {
  readonly score: number;
  readonly signals: readonly SignalSummary[];
}

interface SignalState {
  count: number;
  lastAt: number;
  /** Decayed weight at lastAt. */
  weight: number;
}

/** Per-source threat scores with exponential decay, in an LRU cache. */
export class ThreatBoard {
  private readonly sources: LRUCache<string, Map<ThreatSignal, SignalState>>;
  private readonly halfLifeMs: number;

  /** halfLifeMs defaults to one hour, maxTracked (sources remembered) to 100,000. */
  constructor(options: { halfLifeMs?: number; maxTracked?: number } = {}) {
    this.halfLifeMs = options.halfLifeMs ?? 3_600_000;
    this.sources = new LRUCache({ max: options.maxTracked ?? 100_000 });
  }

  /** Record one occurrence of `signal` from `ip` at `now`. */
  note(ip: string, signal: ThreatSignal, now: number): void {
    const signals = this.sources.get(ip) ?? new Map<ThreatSignal, SignalState>();
    const state = signals.get(signal);
    if (state) {
      state.weight = this.decay(state.weight, now - state.lastAt) + THREAT_WEIGHTS[signal];
      state.count++;
      state.lastAt = now;
    } else {
      signals.set(signal, { count: 1, lastAt: now, weight: THREAT_WEIGHTS[signal] });
    }
    this.sources.set(ip, signals);
  }

  /** The decayed score of `ip` at `now`, capped at 100; 0 with no signals for an unknown source. */
  score(ip: string, now: number): ThreatScore {
    const signals = this.sources.get(ip);
    if (!signals) return { score: 0, signals: [] };
    let total = 0;
    const summary: SignalSummary[] = [];
    for (const [signal, state] of signals) {
      total += this.decay(state.weight, now - state.lastAt);
      summary.push({ signal, count: state.count, lastAt: state.lastAt });
    }
    return { score: Math.min(100, Math.round(total)), signals: summary };
  }

  private decay(weight: number, elapsedMs: number): number {
    return weight * 0.5 ** (Math.max(0, elapsedMs) / this.halfLifeMs);
  }
}
