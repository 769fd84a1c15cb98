/**
 * A threat score 0-100 per source, from what it did: each signal adds its weight, and the
 * weight decays by half every halfLife since the signal was last seen. Shown in logs, events
 * and the admin API; it explains, it does not decide.
 *
 * Weights per occurrence: scanner 60, enumeration 50, flood 40, block 30, admin-auth-failure 10,
 * auth-failure 8.
 */
import { LRUCache } from 'lru-cache';

export type ThreatSignal = 'flood' | 'scanner' | 'auth-failure' | 'enumeration' | 'block' | 'admin-auth-failure';

export const THREAT_WEIGHTS: Readonly<Record<ThreatSignal, number>> = {
  scanner: 60,
  enumeration: 50,
  flood: 40,
  block: 30,
  'admin-auth-failure': 10,
  'auth-failure': 8,
};

export interface SignalSummary {
  readonly signal: ThreatSignal;
  readonly count: number;
  readonly lastAt: number;
}

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

export class ThreatBoard {
  private readonly sources: LRUCache<string, Map<ThreatSignal, SignalState>>;
  private readonly halfLifeMs: number;

  constructor(options: { halfLifeMs?: number; maxTracked?: number } = {}) {
    this.halfLifeMs = options.halfLifeMs ?? 3_600_000;
    this.sources = new LRUCache({ max: options.maxTracked ?? 100_000 });
  }

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
