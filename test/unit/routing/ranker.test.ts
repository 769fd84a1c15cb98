import { describe, expect, it } from 'vitest';
import { AgentPresence } from '../../../src/routing/agent-presence.js';
import { seededRandom } from '../../../src/routing/random.js';
import { rankAgents, topN, type RankInput } from '../../../src/routing/ranker.js';
import { SkillIndex } from '../../../src/routing/skill-index.js';
import type { Queue, QueueRequirement, QueueStrategy } from '../../../src/routing/types.js';

const T0 = Date.parse('2025-06-13T09:00:00Z');
const s = (n: number): number => n * 1000;

const queue = (extra: Partial<Queue> = {}): Queue => ({
  number: '500',
  strategy: 'longest-idle',
  fallbackToAny: false,
  noAgentStatus: 480,
  ringTimeoutSeconds: 15,
  maxAgents: 3,
  ...extra,
});

const req = (skill: string, extra: Partial<QueueRequirement> = {}): QueueRequirement => ({
  queue: '500',
  skill,
  minProficiency: 1,
  kind: 'required',
  ...extra,
});

type Agents = Record<string, Record<string, number>>;

function setup(agents: Agents, presenceOptions: ConstructorParameters<typeof AgentPresence>[0] = {}) {
  const presence = new AgentPresence({ wrapUpSeconds: 0, ...presenceOptions });
  const agentSkills = new Map<string, Map<string, number>>();
  for (const [ext, skills] of Object.entries(agents)) {
    agentSkills.set(ext, new Map(Object.entries(skills)));
    presence.registered(ext, `sip:${ext}@phones`, T0 + s(86_400));
  }
  const rank = (over: Partial<RankInput> = {}) =>
    rankAgents({
      queue: queue(),
      requirements: [],
      agentSkills,
      presence,
      isInDnd: () => false,
      now: T0,
      waitedSeconds: 0,
      random: seededRandom(1),
      ...over,
    });
  const order = (over: Partial<RankInput> = {}): string[] => rank(over).ranked.map((a) => a.extension);
  return { presence, agentSkills, rank, order };
}

describe('required and preferred skills', () => {
  const agents: Agents = {
    '201': { sales: 9 },
    '202': { sales: 6, french: 8 },
    '203': { french: 10 },
    '204': { sales: 3 },
  };

  it('only agents with the required skill at the minimum are ranked; strictly by score', () => {
    const { rank } = setup(agents);
    const result = rank({ requirements: [req('sales', { minProficiency: 5 }), req('french', { kind: 'preferred' })] });
    // 202: (0.6 + 0.5*0.8)/1.5 = 0.667; 201: 0.9/1.5 = 0.6
    expect(result.ranked.map((a) => [a.extension, a.score])).toEqual([
      ['202', 0.666666667],
      ['201', 0.6],
    ]);
    expect(result.ranked[0]).toMatchObject({
      contact: 'sip:202@phones',
      matchedSkills: [
        { skill: 'sales', proficiency: 6, kind: 'required' },
        { skill: 'french', proficiency: 8, kind: 'preferred' },
      ],
    });
    expect(result.excluded).toEqual([
      { extension: '203', reasons: ['missing-skill:sales'] },
      { extension: '204', reasons: ['below-minimum:sales'] },
    ]);
    expect(result.fallbackUsed).toBe(false);
  });

  it('a better score always wins over fairness (no blending)', () => {
    const { presence, order } = setup({ '201': { sales: 10 }, '202': { sales: 9 } });
    // 201 has taken many calls and just finished one; 202 is idle for ages — still 201 first.
    for (let i = 0; i < 50; i++) {
      presence.callStarted('201', T0 - s(100 - i));
      presence.callEnded('201', T0 - s(99 - i));
    }
    presence.setLastPicked('500', '201');
    for (const strategy of ['longest-idle', 'fewest-calls', 'round-robin', 'random'] as QueueStrategy[]) {
      expect(order({ queue: queue({ strategy }), requirements: [req('sales')] })).toEqual(['201', '202']);
    }
  });

  it('relaxation (lower minimum) lets more agents in after the wait', () => {
    const { order } = setup(agents);
    const reqs = [req('sales', { minProficiency: 7, relaxAfterSeconds: 45, relaxedMinProficiency: 3 })];
    expect(order({ requirements: reqs, waitedSeconds: 10 })).toEqual(['201']);
    expect(order({ requirements: reqs, waitedSeconds: 45 })).toEqual(['201', '202', '204']);
    expect(setup(agents).rank({ requirements: reqs, waitedSeconds: 10 }).nextRelaxationAfterSeconds).toBe(45);
  });

  it('relaxation (required → preferred) lets agents without the skill in, ranked below those with it', () => {
    const { rank } = setup(agents);
    const reqs = [req('french', { minProficiency: 5, relaxAfterSeconds: 30, relaxToPreferred: true })];
    expect(rank({ requirements: reqs, waitedSeconds: 0 }).ranked.map((a) => a.extension)).toEqual(['203', '202']);
    const relaxed = rank({ requirements: reqs, waitedSeconds: 30 });
    expect(relaxed.ranked.map((a) => a.extension)).toEqual(['203', '202', '201', '204']);
    expect(relaxed.requirements).toEqual([{ skill: 'french', kind: 'preferred', minProficiency: 5, weight: 0.5, relaxed: true }]);
  });

  it('requirements of other queues are ignored', () => {
    const { order } = setup(agents);
    expect(order({ requirements: [req('french', { queue: '600' })] })).toHaveLength(4);
  });

  it('no requirements: every available agent scores 1', () => {
    const { rank } = setup(agents);
    expect(rank().ranked.map((a) => a.score)).toEqual([1, 1, 1, 1]);
  });
});

describe('fairness among equal scores', () => {
  const four: Agents = { '201': { s: 5 }, '202': { s: 5 }, '203': { s: 5 }, '204': { s: 5 } };

  it('longest-idle: never-called first, then the earliest call end (however many calls); an agent in a call (limit 2) last', () => {
    const { presence, order } = setup(four);
    presence.callStarted('201', T0 - s(300));
    presence.callEnded('201', T0 - s(200));
    for (const t of [900, 850, 800]) {
      presence.callStarted('202', T0 - s(t + 20));
      presence.callEnded('202', T0 - s(t));
    }
    presence.setAgentSettings('204', { callLimit: 2 });
    presence.callStarted('204', T0 - s(10));
    expect(order()).toEqual(['203', '202', '201', '204']);
  });

  it('fewest-calls: fewest callsTaken first, ties by longest idle', () => {
    const { presence, order } = setup(four);
    const call = (ext: string, endedAgo: number): void => {
      presence.callStarted(ext, T0 - s(endedAgo + 10));
      presence.callEnded(ext, T0 - s(endedAgo));
    };
    call('201', 500);
    call('201', 400);
    call('202', 100);
    call('203', 300);
    // 204: 0 calls; 203 and 202: 1 call (203 idle longer); 201: 2 calls.
    expect(order({ queue: queue({ strategy: 'fewest-calls' }) })).toEqual(['204', '203', '202', '201']);
  });

  it('round-robin: continues after the last agent tried, wrapping around, numerically ordered', () => {
    const { presence, order } = setup({ '99': { s: 5 }, '100': { s: 5 }, '101': { s: 5 }, '1000': { s: 5 } });
    const q = queue({ strategy: 'round-robin' });
    expect(order({ queue: q })).toEqual(['99', '100', '101', '1000']);
    presence.setLastPicked('500', '100');
    expect(order({ queue: q })).toEqual(['101', '1000', '99', '100']);
    presence.setLastPicked('500', '1000');
    expect(order({ queue: q })).toEqual(['99', '100', '101', '1000']);
    // The last one tried need not be a candidate any more.
    expect(order({ queue: q, roundRobinAfter: '100a' })).toEqual(['99', '100', '101', '1000']);
    expect(order({ queue: q, roundRobinAfter: '105' })).toEqual(['1000', '99', '100', '101']);
  });

  it('round-robin only reorders within equal scores', () => {
    const { presence, order } = setup({ '201': { s: 9 }, '202': { s: 5 }, '203': { s: 5 }, '204': { s: 9 } });
    presence.setLastPicked('500', '201');
    expect(order({ queue: queue({ strategy: 'round-robin' }), requirements: [req('s')] })).toEqual(['204', '201', '202', '203']);
  });

  it('random: deterministic for a seeded source, shuffles within equal scores only', () => {
    const agents: Agents = {};
    for (let i = 0; i < 12; i++) agents[String(300 + i)] = { s: i < 2 ? 9 : 5 };
    const { order } = setup(agents);
    const q = queue({ strategy: 'random' });
    const a = order({ queue: q, requirements: [req('s')], random: seededRandom(42) });
    const b = order({ queue: q, requirements: [req('s')], random: seededRandom(42) });
    const c = order({ queue: q, requirements: [req('s')], random: seededRandom(7) });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a.slice(0, 2))).toEqual(new Set(['300', '301']));
    expect(a.slice(2).sort()).toEqual(Object.keys(agents).slice(2).sort());
    expect(a.slice(2)).not.toEqual(Object.keys(agents).slice(2)); // actually shuffled
  });

  it('random: each equal agent comes first about equally often', () => {
    const { order } = setup(four);
    const random = seededRandom(3);
    const firsts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const first = order({ queue: queue({ strategy: 'random' }), random })[0] ?? '';
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    for (const ext of Object.keys(four)) expect(firsts.get(ext)).toBeGreaterThan(850);
  });
});

describe('exclusions', () => {
  it('DND excludes (reason "dnd", after registration reasons, skills last)', () => {
    const { presence, rank } = setup({ '201': { sales: 5 }, '202': { sales: 5 }, '203': { french: 5 } });
    presence.unregistered('203');
    const result = rank({ requirements: [req('sales')], isInDnd: (ext) => ext !== '202' });
    expect(result.ranked.map((a) => a.extension)).toEqual(['202']);
    expect(result.excluded).toEqual([
      { extension: '201', reasons: ['dnd'] },
      { extension: '203', reasons: ['not-registered', 'dnd', 'missing-skill:sales'] },
    ]);
  });

  it('wrap-up excludes until it ends', () => {
    const { presence, order, rank } = setup({ '201': { s: 5 }, '202': { s: 5 } }, { wrapUpSeconds: 20 });
    presence.callStarted('201', T0 - s(60));
    presence.callEnded('201', T0 - s(5));
    expect(rank().excluded).toEqual([{ extension: '201', reasons: ['wrap-up'] }]);
    expect(order({ now: T0 + s(15) })).toEqual(['202', '201']);
  });

  it('hold-back after busy and after no-answer excludes until the delay has passed', () => {
    const { presence, order, rank } = setup({ '201': { s: 5 }, '202': { s: 5 }, '203': { s: 5 } }, { busyDelaySeconds: 30, noAnswerDelaySeconds: 90 });
    presence.ringFailed('201', 'busy', T0);
    presence.ringFailed('202', 'no-answer', T0);
    expect(rank().excluded).toEqual([
      { extension: '201', reasons: ['held-back'] },
      { extension: '202', reasons: ['held-back'] },
    ]);
    expect(order({ now: T0 + s(30) })).toEqual(['201', '203']);
    expect(order({ now: T0 + s(90) })).toEqual(['201', '202', '203']);
  });

  it('an agent with an active call is excluded at call limit 1 and ranked at call limit 2', () => {
    const { presence, order } = setup({ '201': { s: 5 }, '202': { s: 5 } });
    presence.callStarted('201', T0 - s(10));
    expect(order()).toEqual(['202']);
    presence.setAgentSettings('201', { callLimit: 2 });
    expect(order()).toEqual(['202', '201']);
  });

  it('registration expiry excludes', () => {
    const { presence, rank } = setup({ '201': { s: 5 } });
    presence.registered('201', 'sip:201@phones', T0 + s(30));
    expect(rank({ now: T0 + s(29) }).ranked).toHaveLength(1);
    expect(rank({ now: T0 + s(30) }).excluded).toEqual([{ extension: '201', reasons: ['registration-expired'] }]);
  });
});

describe('fallback to any agent', () => {
  const agents: Agents = { '201': { sales: 9 }, '202': { support: 4 }, '203': {}, '204': { billing: 7 } };

  it('off: nobody qualifies → empty ranking, everyone excluded with the missing skill', () => {
    const { rank } = setup(agents);
    const result = rank({ requirements: [req('french')] });
    expect(result.ranked).toEqual([]);
    expect(result.fallbackUsed).toBe(false);
    expect(result.excluded.map((e) => e.reasons)).toEqual([['missing-skill:french'], ['missing-skill:french'], ['missing-skill:french'], ['missing-skill:french']]);
  });

  it('on: nobody qualifies → every available agent, partial fits first', () => {
    const { presence, rank } = setup(agents);
    presence.pause('204', T0);
    const result = rank({
      queue: queue({ fallbackToAny: true }),
      requirements: [req('french'), req('sales', { kind: 'preferred' })],
    });
    expect(result.fallbackUsed).toBe(true);
    expect(result.ranked.map((a) => [a.extension, a.score])).toEqual([
      ['201', 0.3],
      ['202', 0],
      ['203', 0],
    ]);
    expect(result.excluded).toEqual([{ extension: '204', reasons: ['paused', 'missing-skill:french'] }]);
  });

  it('on, but someone qualifies: no fallback', () => {
    const { order, rank } = setup(agents);
    expect(order({ queue: queue({ fallbackToAny: true }), requirements: [req('sales')] })).toEqual(['201']);
    expect(rank({ queue: queue({ fallbackToAny: true }), requirements: [req('sales')] }).fallbackUsed).toBe(false);
  });

  it('on, qualified agents exist but all unavailable: fallback to the available ones', () => {
    const { presence, order } = setup(agents);
    presence.callStarted('201', T0);
    expect(order({ queue: queue({ fallbackToAny: true }), requirements: [req('sales')] })).toEqual(['202', '203', '204']);
  });
});

describe('topN', () => {
  it('keeps the first n', () => {
    const { rank } = setup({ '201': { s: 1 }, '202': { s: 2 }, '203': { s: 3 } });
    const result = rank({ requirements: [req('s')] });
    expect(topN(result, 2).ranked.map((a) => a.extension)).toEqual(['203', '202']);
    expect(topN(result, 5)).toBe(result);
    expect(topN(result, 0).ranked).toEqual([]);
  });
});

describe('SkillIndex input', () => {
  it('gives exactly the same result as the plain map, on seeded random data, for every strategy', () => {
    const rnd = seededRandom(11);
    const agents: Agents = {};
    for (let i = 0; i < 300; i++) {
      const skills: Record<string, number> = {};
      for (let k = 0; k < 6; k++) if (rnd() < 0.5) skills[`k${k}`] = 1 + Math.floor(rnd() * 10);
      agents[String(400 + i)] = skills;
    }
    const { presence, agentSkills, rank } = setup(agents);
    for (let i = 0; i < 300; i += 7) presence.callStarted(String(400 + i), T0 - s(5));
    for (let i = 3; i < 300; i += 11) presence.ringFailed(String(400 + i), 'busy', T0);
    const index = SkillIndex.from(agentSkills);
    const requirements = [
      req('k0', { minProficiency: 4 }),
      req('k1', { kind: 'preferred', minProficiency: 3 }),
      req('k2', { kind: 'preferred' }),
      req('k5', { minProficiency: 2, relaxAfterSeconds: 30, relaxToPreferred: true }),
    ];
    for (const strategy of ['longest-idle', 'fewest-calls', 'round-robin', 'random'] as QueueStrategy[]) {
      for (const waitedSeconds of [0, 30]) {
        const over = { queue: queue({ strategy, proficiencyWeight: 0.7 }), requirements, waitedSeconds };
        const viaMap = rank({ ...over, random: seededRandom(5) });
        const viaIndex = rank({ ...over, random: seededRandom(5), agentSkills: index });
        expect(viaIndex).toEqual(viaMap);
        expect(viaMap.ranked.length).toBeGreaterThan(10);
      }
    }
  });

  it('limit keeps the first n ranked and still counts every candidate', () => {
    const { rank } = setup({ '201': { s: 1 }, '202': { s: 2 }, '203': { s: 3 } });
    const result = rank({ requirements: [req('s')], limit: 2 });
    expect(result.ranked.map((a) => a.extension)).toEqual(['203', '202']);
    expect(result.candidates).toBe(3);
  });
});
