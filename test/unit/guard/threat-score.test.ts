import { describe, expect, it } from 'vitest';
import { ThreatBoard } from '../../../src/guard/threat-score.js';

describe('ThreatBoard', () => {
  it('sums weighted signals, caps at 100, and lists them', () => {
    const board = new ThreatBoard();
    expect(board.score('192.0.2.1', 0)).toEqual({ score: 0, signals: [] });
    board.note('192.0.2.1', 'auth-failure', 0);
    board.note('192.0.2.1', 'auth-failure', 0);
    expect(board.score('192.0.2.1', 0).score).toBe(16);
    board.note('192.0.2.1', 'scanner', 0);
    board.note('192.0.2.1', 'flood', 0);
    expect(board.score('192.0.2.1', 0)).toEqual({
      score: 100,
      signals: [
        { signal: 'auth-failure', count: 2, lastAt: 0 },
        { signal: 'scanner', count: 1, lastAt: 0 },
        { signal: 'flood', count: 1, lastAt: 0 },
      ],
    });
  });

  it('decays by half every half-life', () => {
    const board = new ThreatBoard({ halfLifeMs: 1000 });
    board.note('192.0.2.2', 'scanner', 0);
    expect(board.score('192.0.2.2', 1000).score).toBe(30);
    expect(board.score('192.0.2.2', 2000).score).toBe(15);
  });
});
