import { describe, expect, it } from 'vitest';
import { effectiveRequirements, evaluateSkills, nextRelaxationAfter, scoringPlan } from '../../../src/routing/scoring.js';
import type { QueueRequirement } from '../../../src/routing/types.js';

const req = (skill: string, extra: Partial<QueueRequirement> = {}): QueueRequirement => ({
  queue: '500',
  skill,
  minProficiency: 1,
  kind: 'required',
  ...extra,
});

const skills = (entries: Record<string, number>): ReadonlyMap<string, number> => new Map(Object.entries(entries));

const evaluate = (reqs: QueueRequirement[], agent: Record<string, number>, waited = 0, w?: number) =>
  evaluateSkills(skills(agent), scoringPlan(effectiveRequirements(reqs, waited), w));

describe('qualification', () => {
  it('a missing required skill disqualifies, a missing preferred one does not', () => {
    const reqs = [req('sales'), req('french', { kind: 'preferred' })];
    expect(evaluate(reqs, { french: 9 })).toMatchObject({ qualified: false, shortfalls: ['missing-skill:sales'] });
    expect(evaluate(reqs, { sales: 5 })).toMatchObject({ qualified: true, shortfalls: [] });
  });

  it('below the minimum of a required skill disqualifies, at the minimum qualifies', () => {
    const reqs = [req('sales', { minProficiency: 6 })];
    expect(evaluate(reqs, { sales: 5 })).toMatchObject({ qualified: false, shortfalls: ['below-minimum:sales'], matched: [] });
    expect(evaluate(reqs, { sales: 6 })).toMatchObject({ qualified: true, matched: [{ skill: 'sales', proficiency: 6, kind: 'required' }] });
  });

  it('a preferred skill below its minimum earns nothing and is not listed as matched', () => {
    const reqs = [req('sales'), req('french', { kind: 'preferred', minProficiency: 5 })];
    const e = evaluate(reqs, { sales: 10, french: 4 });
    expect(e.qualified).toBe(true);
    expect(e.matched).toEqual([{ skill: 'sales', proficiency: 10, kind: 'required' }]);
    expect(e.score).toBeCloseTo(1 / 1.5, 9);
  });
});

describe('seed formula (proficiencyWeight 1)', () => {
  it('weighted mean of proficiency/10: required 1.0, preferred 0.5, missing preferred 0', () => {
    const reqs = [req('sales'), req('french', { kind: 'preferred' })];
    // (1.0 * 0.8 + 0.5 * 0.6) / 1.5
    expect(evaluate(reqs, { sales: 8, french: 6 }).score).toBeCloseTo((0.8 + 0.3) / 1.5, 9);
    // (1.0 * 0.8 + 0) / 1.5
    expect(evaluate(reqs, { sales: 8 }).score).toBeCloseTo(0.8 / 1.5, 9);
  });

  it('a queue without requirements scores everybody 1', () => {
    expect(evaluate([], {})).toEqual({ qualified: true, score: 1, matched: [], shortfalls: [] });
    expect(evaluate([], { sales: 3 }).score).toBe(1);
  });

  it('equal fits compare exactly equal despite floating point', () => {
    const reqs = [req('a'), req('b'), req('c', { kind: 'preferred' })];
    expect(evaluate(reqs, { a: 1, b: 2, c: 4 }).score).toBe(evaluate(reqs, { a: 2, b: 1, c: 4 }).score);
    expect(evaluate(reqs, { a: 3, b: 3, c: 2 }).score).toBe(evaluate(reqs, { a: 2, b: 4, c: 2 }).score);
  });
});

describe('proficiencyWeight', () => {
  const reqs = [req('sales'), req('french', { kind: 'preferred' })];
  const expertNoFrench = { sales: 10 };
  const juniorWithFrench = { sales: 5, french: 5 };

  it('w = 1: proficiency wins (1.0/1.5 vs 0.75/1.5)', () => {
    expect(evaluate(reqs, expertNoFrench, 0, 1).score).toBeGreaterThan(evaluate(reqs, juniorWithFrench, 0, 1).score);
  });

  it('w = 0: only which requirements are met counts; same met set → equal scores', () => {
    expect(evaluate(reqs, juniorWithFrench, 0, 0).score).toBe(1);
    expect(evaluate(reqs, expertNoFrench, 0, 0).score).toBeCloseTo(1 / 1.5, 9);
    expect(evaluate(reqs, { sales: 2 }, 0, 0).score).toBe(evaluate(reqs, { sales: 10 }, 0, 0).score);
  });

  it('in between, c = (1 - w) + w * p/10 per met requirement', () => {
    const w = 0.4;
    const expected = (1 * (0.6 + 0.4 * 0.5) + 0.5 * (0.6 + 0.4 * 0.5)) / 1.5;
    expect(evaluate(reqs, juniorWithFrench, 0, w).score).toBeCloseTo(expected, 9);
  });
});

describe('relaxation after waiting', () => {
  const lowered = req('sales', { minProficiency: 8, relaxAfterSeconds: 30, relaxedMinProficiency: 4 });
  const toPreferred = req('spanish', { minProficiency: 5, relaxAfterSeconds: 60, relaxToPreferred: true });

  it('a lowered minimum applies from relaxAfterSeconds on (inclusive)', () => {
    expect(evaluate([lowered], { sales: 5 }, 29.9).qualified).toBe(false);
    expect(evaluate([lowered], { sales: 5 }, 30).qualified).toBe(true);
    expect(effectiveRequirements([lowered], 30)).toEqual([{ skill: 'sales', kind: 'required', minProficiency: 4, weight: 1, relaxed: true }]);
  });

  it('required → preferred stops disqualifying and weighs 0.5', () => {
    const reqs = [req('sales'), toPreferred];
    expect(evaluate(reqs, { sales: 6 }, 59).qualified).toBe(false);
    const relaxed = evaluate(reqs, { sales: 6 }, 60);
    expect(relaxed.qualified).toBe(true);
    expect(relaxed.score).toBeCloseTo(0.6 / 1.5, 9);
    expect(evaluate(reqs, { sales: 6, spanish: 5 }, 60).matched).toEqual([
      { skill: 'sales', proficiency: 6, kind: 'required' },
      { skill: 'spanish', proficiency: 5, kind: 'preferred' },
    ]);
  });

  it('reports when the next relaxation happens', () => {
    expect(nextRelaxationAfter([lowered, toPreferred], 0)).toBe(30);
    expect(nextRelaxationAfter([lowered, toPreferred], 30)).toBe(60);
    expect(nextRelaxationAfter([lowered, toPreferred], 60)).toBeNull();
    expect(nextRelaxationAfter([req('x')], 0)).toBeNull();
  });

  it('a negative or NaN wait counts as no wait', () => {
    const zero = req('z', { minProficiency: 5, relaxAfterSeconds: 0, relaxedMinProficiency: 1 });
    expect(effectiveRequirements([zero], -5)[0]?.relaxed).toBe(true);
    expect(effectiveRequirements([lowered], Number.NaN)[0]?.relaxed).toBe(false);
  });
});
