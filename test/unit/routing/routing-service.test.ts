import { beforeEach, describe, expect, it } from 'vitest';
import { classifyAttemptStatus, attemptsFromForwardOutcome } from '../../../src/routing/outcome.js';
import { queueVerdict } from '../../../src/routing/queue-verdict.js';
import { seededRandom } from '../../../src/routing/random.js';
import { RoutingService } from '../../../src/routing/routing-service.js';
import { RoutingError } from '../../../src/routing/types.js';

const T0 = Date.parse('2025-06-13T09:00:00Z');
const s = (n: number): number => n * 1000;

function fields(fn: () => unknown): { code: string; fields: string[] } {
  try {
    fn();
  } catch (err) {
    if (err instanceof RoutingError) return { code: err.code, fields: err.issues.map((i) => i.field) };
    throw err;
  }
  throw new Error('expected a RoutingError');
}

let routing: RoutingService;
let dndSet: Set<string>;

beforeEach(() => {
  dndSet = new Set();
  routing = new RoutingService({
    presence: { wrapUpSeconds: 10, busyDelaySeconds: 60, rejectDelaySeconds: 10, noAnswerDelaySeconds: 30, unreachableDelaySeconds: 5, maxNoAnswer: 3 },
    isInDnd: (ext) => dndSet.has(ext),
    random: seededRandom(1),
  });
  routing.load({
    skills: [{ id: 'sales', name: 'Sales' }, { id: 'french', name: 'French', description: 'speaks French' }, { id: 'billing' }],
    queues: [
      { number: '500', name: 'Sales', strategy: 'longest-idle', maxAgents: 2, ringTimeoutSeconds: 15 },
      { number: '501', strategy: 'round-robin', noAgentStatus: 486 },
    ],
    agentSkills: [
      { extension: '201', skill: 'sales', proficiency: 9 },
      { extension: '202', skill: 'sales', proficiency: 6 },
      { extension: '202', skill: 'french', proficiency: 8 },
      { extension: '203', skill: 'sales', proficiency: 4 },
      { extension: '204', skill: 'billing', proficiency: 7 },
    ],
    requirements: [
      { queue: '500', skill: 'sales', minProficiency: 5, kind: 'required', relaxAfterSeconds: 60, relaxedMinProficiency: 3 },
      { queue: '500', skill: 'french', kind: 'preferred' },
    ],
  });
  for (const ext of ['201', '202', '203', '204']) routing.presence.registered(ext, `sip:${ext}@phones`, T0 + s(3600));
});

describe('route', () => {
  it('ranks best first, trims to maxAgents, reports exclusions and the next relaxation', () => {
    const r = routing.route('500', T0);
    expect(r?.ranked.map((a) => a.extension)).toEqual(['202', '201']);
    expect(r).toMatchObject({ candidates: 2, noAgentStatus: null, fallbackUsed: false, nextRelaxationAfterSeconds: 60 });
    expect(r?.excluded).toEqual([
      { extension: '203', reasons: ['below-minimum:sales'] },
      { extension: '204', reasons: ['missing-skill:sales'] },
    ]);
  });

  it('after the caller waited, the relaxed minimum applies', () => {
    expect(routing.route('500', T0, 60)?.candidates).toBe(3);
  });

  it('agent skill edits show in the next route (the compiled index is rebuilt)', () => {
    expect(routing.route('500', T0)?.candidates).toBe(2);
    // 10/10 in sales alone (1.0/1.5) ties with 202 (6/10 sales + 8/10 French: (0.6 + 0.4)/1.5); ties by extension here.
    routing.addAgentSkill({ extension: '204', skill: 'sales', proficiency: 10 });
    expect(routing.route('500', T0)).toMatchObject({ candidates: 3, ranked: [{ extension: '202' }, { extension: '204' }] });
    routing.updateAgentSkill('204', 'sales', { proficiency: 1 });
    expect(routing.route('500', T0)?.candidates).toBe(2);
    routing.setAgentSkills('203', [{ skill: 'sales', proficiency: 10 }, { skill: 'french', proficiency: 10 }]);
    expect(routing.route('500', T0)?.ranked[0]).toMatchObject({ extension: '203', score: 1 });
    routing.setAgentSkills('203', []);
    expect(routing.route('500', T0)?.ranked.map((a) => a.extension)).toEqual(['202', '201']);
  });

  it('unknown number → null; isQueue', () => {
    expect(routing.route('999', T0)).toBeNull();
    expect(routing.isQueue('500')).toBe(true);
    expect(routing.isQueue('201')).toBe(false);
  });

  it('nobody available → empty ranking and the queue noAgentStatus; as a verdict', () => {
    dndSet.add('201').add('202');
    const r = routing.route('500', T0);
    expect(r).toMatchObject({ ranked: [], noAgentStatus: 480 });
    if (!r) throw new Error('no result');
    expect(queueVerdict(r, (a) => `sip:${a.extension}@pbx`)).toEqual({ kind: 'reject', cause: 'queue-unavailable', status: 480, reason: 'Temporarily Unavailable', headers: {} });
    routing.updateQueue('500', { noAgentStatus: 486 });
    expect(routing.route('500', T0)?.noAgentStatus).toBe(486);
  });

  it('forward verdict: targets best first with agent, the ring timeout and the queue', () => {
    const r = routing.route('500', T0);
    if (!r) throw new Error('no result');
    expect(queueVerdict(r, (a) => a.contact ?? 'none')).toEqual({
      kind: 'forward',
      cause: 'queue',
      targets: [
        { uri: 'sip:202@phones', agent: '202' },
        { uri: 'sip:201@phones', agent: '201' },
      ],
      ringTimeoutSeconds: 15,
      queue: '500',
    });
  });

  it('a queue without requirements takes every available agent, fallback applies when configured', () => {
    routing.updateQueue('501', { maxAgents: 10 });
    expect(routing.route('501', T0)?.ranked.map((a) => a.extension)).toEqual(['201', '202', '203', '204']);
    routing.addRequirement({ queue: '501', skill: 'french', minProficiency: 9 });
    expect(routing.route('501', T0)).toMatchObject({ ranked: [], noAgentStatus: 486 });
    routing.updateQueue('501', { fallbackToAny: true });
    expect(routing.route('501', T0)).toMatchObject({ fallbackUsed: true, candidates: 4 });
  });

  it('dryRun: the full ranking, excluded sorted by extension, nothing changes', () => {
    routing.presence.pause('201', T0);
    routing.updateQueue('500', { maxAgents: 1 });
    const d = routing.dryRun('500', T0, 60);
    expect(d?.ranked.map((a) => [a.extension, a.score])).toEqual([
      ['202', 0.666666667],
      ['203', 0.266666667],
    ]);
    expect(d?.excluded).toEqual([
      { extension: '201', reasons: ['paused'] },
      { extension: '204', reasons: ['missing-skill:sales'] },
    ]);
    expect(routing.route('500', T0, 60)?.ranked).toHaveLength(1);
  });
});

describe('recordOutcome', () => {
  it('maps statuses to presence events', () => {
    routing.load({
      skills: [{ id: 's' }],
      queues: [{ number: '500', maxAgents: 9 }],
      agentSkills: ['301', '302', '303', '304', '305', '306', '307', '308'].map((extension) => ({ extension, skill: 's', proficiency: 5 })),
    });
    const attempts = [
      { extension: '301', status: 486 },
      { extension: '302', status: 603 },
      { extension: '303', status: 408 },
      { extension: '304', status: 404 },
      { extension: '305', status: 488 },
      { extension: '306', status: 302 },
      { extension: '307', status: 200 },
      { extension: '308', status: null },
    ];
    const recorded = routing.recordOutcome('500', attempts, T0);
    expect(recorded.map((r) => [r.extension, r.outcome])).toEqual([
      ['301', 'busy'],
      ['302', 'rejected'],
      ['303', 'no-answer'],
      ['304', 'unreachable'],
      ['305', 'rejected'],
      ['306', 'ignored'],
      ['307', 'answered'],
      ['308', 'not-tried'],
    ]);
    const p = routing.presence;
    expect(p.availability('301', T0)).toMatchObject({ heldBackFor: 'busy', heldBackUntil: T0 + s(60) });
    expect(p.availability('302', T0)).toMatchObject({ heldBackFor: 'rejected', heldBackUntil: T0 + s(10) });
    expect(p.availability('303', T0)).toMatchObject({ heldBackFor: 'no-answer', heldBackUntil: T0 + s(30), noAnswerCount: 1 });
    expect(p.availability('304', T0)).toMatchObject({ heldBackFor: 'unreachable', noAnswerCount: 0 });
    expect(p.availability('306', T0).heldBackUntil).toBeNull();
    expect(p.availability('307', T0)).toMatchObject({ activeCalls: 1, callsTaken: 1 });
    expect(p.availability('308', T0)).toMatchObject({ heldBackUntil: null, callsTaken: 0 });
    // Round robin continues after the last agent actually tried (307), not the untried 308.
    expect(p.lastPicked('500')).toBe('307');
  });

  it('three no-answers in a row pause the agent and say so', () => {
    const na = [{ extension: '201', status: 487 }];
    expect(routing.recordOutcome('500', na, T0)[0]?.pausedNow).toBe(false);
    expect(routing.recordOutcome('500', na, T0 + s(40))[0]?.pausedNow).toBe(false);
    expect(routing.recordOutcome('500', na, T0 + s(80))[0]?.pausedNow).toBe(true);
    expect(routing.route('500', T0 + s(3000))?.excluded).toContainEqual({ extension: '201', reasons: ['paused'] });
    routing.presence.unpause('201');
    expect(routing.route('500', T0 + s(3000))?.ranked.map((a) => a.extension)).toContain('201');
  });

  it('the caller hanging up is not the last agent’s no-answer', () => {
    const recorded = routing.recordOutcome(
      '500',
      [
        { extension: '202', status: 408 },
        { extension: '201', status: 487 },
      ],
      T0,
      { callerAbandoned: true },
    );
    expect(recorded.map((r) => r.outcome)).toEqual(['no-answer', 'abandoned']);
    expect(routing.presence.availability('201', T0)).toMatchObject({ available: true, noAnswerCount: 0 });
  });

  it('answer then call end: wrap-up, then back in the ranking (longest idle last)', () => {
    routing.recordOutcome('500', [{ extension: '202', status: 200 }], T0, { callId: 'abc' });
    expect(routing.route('500', T0 + s(1))?.excluded).toContainEqual({ extension: '202', reasons: ['in-call'] });
    routing.presence.callEnded('202', T0 + s(100), 'abc');
    expect(routing.route('500', T0 + s(105))?.excluded).toContainEqual({ extension: '202', reasons: ['wrap-up'] });
    expect(routing.route('500', T0 + s(110))?.ranked.map((a) => a.extension)).toEqual(['202', '201']);
  });

  it('ringing reservations keep concurrent calls from picking the same agent, and are released by the outcome', () => {
    const first = routing.route('500', T0)?.ranked[0]?.extension ?? '';
    routing.presence.ringStarted(first, T0, T0 + s(15), 'call-1');
    expect(routing.route('500', T0 + s(1))?.ranked[0]?.extension).not.toBe(first);
    routing.recordOutcome('500', [{ extension: first, status: null }], T0 + s(2), { callId: 'call-1' });
    expect(routing.route('500', T0 + s(2))?.ranked[0]?.extension).toBe(first);
  });

  it('round robin advances between calls', () => {
    routing.updateQueue('501', { maxAgents: 1 });
    const picks: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = T0 + s(20 * i); // past the 10 s wrap-up of the previous call
      const ext = routing.route('501', t)?.ranked[0]?.extension ?? '';
      picks.push(ext);
      routing.recordOutcome('501', [{ extension: ext, status: 200 }], t);
      routing.presence.callEnded(ext, t + s(5));
    }
    expect(picks).toEqual(['201', '202', '203', '204', '201']);
  });

  it('refuses malformed attempts, naming them', () => {
    expect(fields(() => routing.recordOutcome('500', [{ extension: '201', status: 99 }, { extension: '', status: 200 }], T0))).toEqual({
      code: 'invalid',
      fields: ['attempts[0].status', 'attempts[1].extension'],
    });
  });

  it('takes the attempts of a ForwardOutcome', () => {
    expect(
      attemptsFromForwardOutcome({
        finalStatus: 200,
        connected: true,
        completedAt: T0,
        attempts: [
          { target: { uri: 'sip:202@pbx', agent: '202' }, status: 408 },
          { target: { uri: 'sip:pbx' }, status: 500 },
          { target: { uri: 'sip:201@pbx', agent: '201' }, status: 200 },
        ],
      }),
    ).toEqual([
      { extension: '202', status: 408 },
      { extension: '201', status: 200 },
    ]);
  });
});

describe('status classification table', () => {
  it.each([
    [200, 'answered'],
    [202, 'answered'],
    [486, 'busy'],
    [600, 'busy'],
    [603, 'rejected'],
    [403, 'rejected'],
    [488, 'rejected'],
    [606, 'rejected'],
    [408, 'no-answer'],
    [480, 'no-answer'],
    [487, 'no-answer'],
    [404, 'unreachable'],
    [410, 'unreachable'],
    [484, 'unreachable'],
    [503, 'unreachable'],
    [604, 'unreachable'],
    [401, 'ignored'],
    [407, 'ignored'],
    [180, 'ignored'],
    [302, 'ignored'],
    [null, 'not-tried'],
  ] as const)('%s → %s', (status, outcome) => {
    expect(classifyAttemptStatus(status)).toBe(outcome);
  });
});

describe('configuration edits and validation', () => {
  it('skills: add, conflict, update, unknown', () => {
    expect(routing.addSkill({ id: 'spanish' })).toEqual({ id: 'spanish', name: 'spanish', description: '' });
    expect(fields(() => routing.addSkill({ id: 'spanish' }))).toEqual({ code: 'conflict', fields: ['id'] });
    expect(routing.updateSkill('spanish', { name: 'Español' }).name).toBe('Español');
    expect(fields(() => routing.updateSkill('spanish', { id: 'es' }))).toEqual({ code: 'invalid', fields: ['id'] });
    expect(fields(() => routing.updateSkill('nope', { name: 'x' }))).toEqual({ code: 'not-found', fields: ['id'] });
    expect(fields(() => routing.addSkill({ id: 'has space', name: '', colour: 1 }))).toEqual({ code: 'invalid', fields: ['colour', 'id', 'name'] });
  });

  it('a skill in use is not removed unless forced; forced removal returns what went with it', () => {
    expect(fields(() => routing.removeSkill('french'))).toEqual({ code: 'conflict', fields: ['id'] });
    const removed = routing.removeSkill('french', { force: true });
    expect(removed.agentSkills).toEqual([{ extension: '202', skill: 'french', proficiency: 8 }]);
    expect(removed.requirements).toMatchObject([{ queue: '500', skill: 'french' }]);
    expect(routing.listRequirements('500').map((r) => r.skill)).toEqual(['sales']);
    routing.addSkill({ id: 'unused' });
    expect(routing.removeSkill('unused').skill.id).toBe('unused');
  });

  it('agent skills: proficiency 1-10 integer, unknown skill, duplicates, update, remove', () => {
    expect(fields(() => routing.addAgentSkill({ extension: '205', skill: 'sales', proficiency: 11 }))).toEqual({ code: 'invalid', fields: ['proficiency'] });
    expect(fields(() => routing.addAgentSkill({ extension: '205', skill: 'sales', proficiency: 0 }))).toEqual({ code: 'invalid', fields: ['proficiency'] });
    expect(fields(() => routing.addAgentSkill({ extension: '205', skill: 'sales', proficiency: 5.5 }))).toEqual({ code: 'invalid', fields: ['proficiency'] });
    expect(fields(() => routing.addAgentSkill({ extension: '205', skill: 'sales' }))).toEqual({ code: 'invalid', fields: ['proficiency'] });
    expect(fields(() => routing.addAgentSkill({ extension: '205', skill: 'karate', proficiency: 5 }))).toEqual({ code: 'invalid', fields: ['skill'] });
    expect(fields(() => routing.addAgentSkill({ extension: '201', skill: 'sales', proficiency: 5 }))).toEqual({ code: 'conflict', fields: ['skill'] });
    expect(routing.updateAgentSkill('201', 'sales', { proficiency: 2 })).toEqual({ extension: '201', skill: 'sales', proficiency: 2 });
    expect(fields(() => routing.updateAgentSkill('201', 'billing', { proficiency: 2 }))).toEqual({ code: 'not-found', fields: ['skill'] });
    routing.removeAgentSkill('204', 'billing');
    expect(routing.agents()).toEqual(['201', '202', '203']);
  });

  it('setAgentSkills replaces an agent’s skills, all or nothing, issues prefixed', () => {
    expect(
      fields(() =>
        routing.setAgentSkills('201', [
          { skill: 'sales', proficiency: 4 },
          { skill: 'karate', proficiency: 3 },
          { skill: 'sales', proficiency: 12 },
        ]),
      ),
    ).toEqual({ code: 'invalid', fields: ['skills[1].skill', 'skills[2].proficiency'] });
    expect(routing.listAgentSkills('201')).toEqual([{ extension: '201', skill: 'sales', proficiency: 9 }]);
    routing.setAgentSkills('201', [{ skill: 'billing', proficiency: 4 }]);
    expect(routing.listAgentSkills('201')).toEqual([{ extension: '201', skill: 'billing', proficiency: 4 }]);
    routing.setAgentSkills('201', []);
    expect(routing.agents()).not.toContain('201');
  });

  it('queues: defaults, enum and range checks, patch with null removes an optional field, removal takes requirements', () => {
    expect(routing.addQueue({ number: '600' })).toEqual({ number: '600', strategy: 'longest-idle', fallbackToAny: false, noAgentStatus: 480, ringTimeoutSeconds: 20, maxAgents: 3 });
    expect(
      fields(() => routing.addQueue({ number: '601', strategy: 'ring-all', noAgentStatus: 603, ringTimeoutSeconds: 0, maxAgents: 1.5, fallbackToAny: 'yes', proficiencyWeight: 2 })),
    ).toEqual({ code: 'invalid', fields: ['strategy', 'fallbackToAny', 'noAgentStatus', 'ringTimeoutSeconds', 'maxAgents', 'proficiencyWeight'] });
    expect(routing.updateQueue('600', { proficiencyWeight: 0.5 }).proficiencyWeight).toBe(0.5);
    expect(routing.updateQueue('600', { proficiencyWeight: null })).not.toHaveProperty('proficiencyWeight');
    expect(fields(() => routing.updateQueue('600', { number: '700' }))).toEqual({ code: 'invalid', fields: ['number'] });
    routing.presence.setLastPicked('500', '201');
    expect(routing.removeQueue('500').requirements).toHaveLength(2);
    expect(routing.listRequirements('500')).toEqual([]);
    expect(routing.presence.lastPicked('500')).toBeNull();
  });

  it('requirements: unknown queue and skill, minimums, relaxation rules', () => {
    expect(fields(() => routing.addRequirement({ queue: '999', skill: 'karate' }))).toEqual({ code: 'invalid', fields: ['queue', 'skill'] });
    expect(fields(() => routing.addRequirement({ queue: '501', skill: 'sales', minProficiency: 0, kind: 'must' }))).toEqual({ code: 'invalid', fields: ['minProficiency', 'kind'] });
    expect(fields(() => routing.addRequirement({ queue: '501', skill: 'sales', minProficiency: 5, relaxAfterSeconds: 30, relaxedMinProficiency: 7 }))).toEqual({
      code: 'invalid',
      fields: ['relaxedMinProficiency'],
    });
    expect(fields(() => routing.addRequirement({ queue: '501', skill: 'sales', relaxAfterSeconds: 30 }))).toEqual({ code: 'invalid', fields: ['relaxAfterSeconds'] });
    expect(fields(() => routing.addRequirement({ queue: '501', skill: 'sales', relaxToPreferred: true }))).toEqual({ code: 'invalid', fields: ['relaxToPreferred'] });
    expect(fields(() => routing.addRequirement({ queue: '501', skill: 'sales', kind: 'preferred', relaxAfterSeconds: 5, relaxToPreferred: true }))).toEqual({
      code: 'invalid',
      fields: ['relaxToPreferred'],
    });
    expect(routing.addRequirement({ queue: '501', skill: 'sales', minProficiency: 7, relaxAfterSeconds: 30, relaxToPreferred: true })).toEqual({
      queue: '501',
      skill: 'sales',
      minProficiency: 7,
      kind: 'required',
      relaxAfterSeconds: 30,
      relaxToPreferred: true,
    });
    expect(fields(() => routing.addRequirement({ queue: '501', skill: 'sales' }))).toEqual({ code: 'conflict', fields: ['skill'] });
    expect(routing.updateRequirement('501', 'sales', { relaxAfterSeconds: null, relaxToPreferred: null })).toEqual({ queue: '501', skill: 'sales', minProficiency: 7, kind: 'required' });
    expect(routing.removeRequirement('501', 'sales').skill).toBe('sales');
    expect(fields(() => routing.removeRequirement('501', 'sales'))).toEqual({ code: 'not-found', fields: ['skill'] });
  });

  it('load is all or nothing, with prefixed fields; exportConfig round-trips', () => {
    const before = routing.exportConfig();
    expect(
      fields(() =>
        routing.load({
          skills: [{ id: 'a' }, { id: 'a' }],
          queues: [{ number: '1', maxAgents: 0 }],
          agentSkills: [{ extension: '1', skill: 'b', proficiency: 3 }],
          requirements: 'nope',
          extra: true,
        }),
      ),
    ).toEqual({ code: 'invalid', fields: ['extra', 'skills[1].id', 'queues[0].maxAgents', 'agentSkills[0].skill', 'requirements'] });
    expect(routing.exportConfig()).toEqual(before);
    const copy = new RoutingService();
    copy.load(JSON.parse(JSON.stringify(before)));
    expect(copy.exportConfig()).toEqual(before);
  });
});
