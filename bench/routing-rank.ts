/**
 * Micro benchmark: rank 1,000 agents for one call to a queue with 5 skill requirements.
 *
 * Build and run:  npx tsc -p tsconfig.json && node dist/bench/routing-rank.js [--agents 1000] [--max-ms 5000]
 *
 * Data (seeded, identical on every run): 12 skills; every agent holds 2-5 of them at proficiency 1-10; the queue
 * requires 2 skills (minimum 3) and prefers 3. Presence is mixed like a busy floor: ~20% in a call, ~10% in
 * wrap-up, ~5% held back, ~3% paused, ~5% in DND, ~2% with an expired registration; the rest available.
 * Each case warms up, then runs until it reaches the iteration cap or the time cap, timing every iteration.
 */
import { cpus } from 'node:os';
import { AgentPresence } from '../src/routing/agent-presence.js';
import { seededRandom } from '../src/routing/random.js';
import { rankAgents } from '../src/routing/ranker.js';
import { RoutingService } from '../src/routing/routing-service.js';
import { SkillIndex } from '../src/routing/skill-index.js';
import type { QueueRequirement, QueueStrategy } from '../src/routing/types.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const AGENTS = arg('agents', 1000);
const WARMUP_ITERATIONS = 500;
const MAX_ITERATIONS = arg('iterations', 20_000);
const MAX_MS = arg('max-ms', 5000);
const NOW = Date.parse('2025-06-13T09:00:00Z');
const SKILLS = Array.from({ length: 12 }, (_, i) => `skill-${i}`);

function buildService(strategy: QueueStrategy): RoutingService {
  const rnd = seededRandom(20250613);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const presence = new AgentPresence({ wrapUpSeconds: 30, maxNoAnswer: 0 });
  const dnd = new Set<string>();
  const service = new RoutingService({ presence, isInDnd: (ext) => dnd.has(ext), random: seededRandom(7) });

  const requirements: Omit<QueueRequirement, 'queue'>[] = [
    { skill: 'skill-0', minProficiency: 3, kind: 'required', relaxAfterSeconds: 60, relaxedMinProficiency: 1 },
    { skill: 'skill-1', minProficiency: 3, kind: 'required', relaxAfterSeconds: 120, relaxToPreferred: true },
    { skill: 'skill-2', minProficiency: 1, kind: 'preferred' },
    { skill: 'skill-3', minProficiency: 5, kind: 'preferred' },
    { skill: 'skill-4', minProficiency: 1, kind: 'preferred' },
  ];
  const agentSkills: { extension: string; skill: string; proficiency: number }[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const extension = String(1000 + i);
    const count = 2 + pick(4);
    const held = new Set<string>();
    // Skills 0 and 1 are common (most queues need a base skill), the rest spread evenly.
    if (rnd() < 0.7) held.add('skill-0');
    if (rnd() < 0.6) held.add('skill-1');
    while (held.size < count) held.add(SKILLS[pick(SKILLS.length)] ?? 'skill-0');
    for (const skill of held) agentSkills.push({ extension, skill, proficiency: 1 + pick(10) });
  }
  service.load({
    skills: SKILLS.map((id) => ({ id })),
    queues: [{ number: '500', strategy, maxAgents: 5, fallbackToAny: true }],
    agentSkills,
    requirements: requirements.map((r) => ({ queue: '500', ...r })),
  });

  for (let i = 0; i < AGENTS; i++) {
    const ext = String(1000 + i);
    const roll = rnd();
    presence.registered(ext, `sip:${ext}@10.1.${i >> 8}.${i & 255}:5060`, roll < 0.02 ? NOW - 1 : NOW + 3_600_000);
    // Call history for the fairness keys.
    const calls = pick(20);
    for (let c = 0; c < calls; c++) {
      presence.callStarted(ext, NOW - 3_600_000 + c * 60_000);
      presence.callEnded(ext, NOW - 3_600_000 + c * 60_000 + 30_000);
    }
    if (roll >= 0.02 && roll < 0.22) presence.callStarted(ext, NOW - 10_000);
    else if (roll < 0.32) {
      presence.callStarted(ext, NOW - 100_000);
      presence.callEnded(ext, NOW - 5_000);
    } else if (roll < 0.37) presence.ringFailed(ext, 'busy', NOW - 1_000);
    else if (roll < 0.4) presence.pause(ext, NOW - 1_000);
    else if (roll < 0.45) dnd.add(ext);
  }
  presence.setLastPicked('500', '1500');
  return service;
}

interface Measured {
  readonly name: string;
  readonly iterations: number;
  readonly medianUs: number;
  readonly p99Us: number;
  readonly meanUs: number;
  readonly opsPerSecond: number;
  readonly ranked: number;
  readonly excluded: number;
}

function measure(name: string, run: () => { ranked: readonly unknown[]; excluded: readonly unknown[] }): Measured {
  let last = run();
  for (let i = 0; i < WARMUP_ITERATIONS; i++) last = run();
  const samples: number[] = [];
  const deadline = process.hrtime.bigint() + BigInt(MAX_MS) * 1_000_000n;
  let total = 0;
  while (samples.length < MAX_ITERATIONS) {
    const t0 = process.hrtime.bigint();
    last = run();
    const t1 = process.hrtime.bigint();
    const us = Number(t1 - t0) / 1000;
    samples.push(us);
    total += us;
    if (t1 > deadline) break;
  }
  samples.sort((a, b) => a - b);
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? Number.NaN;
  const meanUs = total / samples.length;
  return {
    name,
    iterations: samples.length,
    medianUs: at(0.5),
    p99Us: at(0.99),
    meanUs,
    opsPerSecond: 1e6 / meanUs,
    ranked: last.ranked.length,
    excluded: last.excluded.length,
  };
}

function main(): void {
  const results: Measured[] = [];
  for (const strategy of ['longest-idle', 'round-robin', 'random'] as const) {
    const service = buildService(strategy);
    const queue = service.getQueue('500');
    if (!queue) throw new Error('queue missing');
    const requirements = service.listRequirements('500');
    const agentSkills = new Map<string, Map<string, number>>();
    for (const a of service.listAgentSkills()) {
      const m = agentSkills.get(a.extension) ?? new Map<string, number>();
      m.set(a.skill, a.proficiency);
      agentSkills.set(a.extension, m);
    }
    const index = SkillIndex.from(agentSkills);
    const random = seededRandom(99);
    const base = { queue, requirements, presence: service.presence, isInDnd: () => false, now: NOW, waitedSeconds: 0, random };
    results.push(measure(`rankAgents ${strategy}, full list`, () => rankAgents({ ...base, agentSkills: index })));
    if (strategy === 'longest-idle') {
      results.push(measure('rankAgents longest-idle, plain Map input', () => rankAgents({ ...base, agentSkills })));
      results.push(measure('route() longest-idle (+DND, top 5)', () => service.route('500', NOW, 0) ?? { ranked: [], excluded: [] }));
      results.push(measure('route() after 120 s wait (relaxed)', () => service.route('500', NOW, 120) ?? { ranked: [], excluded: [] }));
    }
  }

  const cpu = cpus();
  console.log(`routing-rank: ${AGENTS} agents, 5 requirements (2 required, 3 preferred), ${SKILLS.length} skills`);
  console.log(`node ${process.version}, ${cpu.length} cores, ${cpu[0]?.model ?? 'unknown cpu'}`);
  console.log(`warm-up ${WARMUP_ITERATIONS}, then up to ${MAX_ITERATIONS} iterations or ${MAX_MS} ms per case\n`);
  const header = ['case', 'iterations', 'median µs', 'p99 µs', 'ops/s', 'ranked', 'excluded'];
  const rows = results.map((r) => [
    r.name,
    String(r.iterations),
    r.medianUs.toFixed(1),
    r.p99Us.toFixed(1),
    Math.round(r.opsPerSecond).toLocaleString('en-US'),
    String(r.ranked),
    String(r.excluded),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

main();
