/**
 * A compact, read-only index of agent skills for ranking: extensions in a fixed order, and per skill the agents
 * holding it (as positions in that order) with their proficiency. Ranking a queue then reads only the holders of
 * the queue's few skills into one dense table (agents x requirements) instead of doing a map lookup per agent per
 * requirement. RoutingService builds it once per change of agent skills; rankAgents builds one on the fly when
 * given a plain map.
 */
import type { EffectiveRequirement } from './scoring.js';

interface Holders {
  readonly agents: Int32Array;
  readonly proficiency: Uint8Array;
}

export class SkillIndex {
  /** Candidate agents, in the order of the source map. */
  readonly extensions: readonly string[];
  private readonly holders: ReadonlyMap<string, Holders>;

  private constructor(extensions: readonly string[], holders: ReadonlyMap<string, Holders>) {
    this.extensions = extensions;
    this.holders = holders;
  }

  /** extension → (skill id → proficiency 1..255; values outside are clamped, 0 would read as "missing"). */
  static from(agentSkills: ReadonlyMap<string, ReadonlyMap<string, number>>): SkillIndex {
    const extensions: string[] = [];
    const lists = new Map<string, { agents: number[]; proficiency: number[] }>();
    for (const [extension, skills] of agentSkills) {
      const position = extensions.length;
      extensions.push(extension);
      for (const [skill, proficiency] of skills) {
        let list = lists.get(skill);
        if (!list) {
          list = { agents: [], proficiency: [] };
          lists.set(skill, list);
        }
        list.agents.push(position);
        list.proficiency.push(Math.min(255, Math.max(1, Math.round(proficiency))));
      }
    }
    const holders = new Map<string, Holders>();
    for (const [skill, list] of lists) {
      holders.set(skill, { agents: Int32Array.from(list.agents), proficiency: Uint8Array.from(list.proficiency) });
    }
    return new SkillIndex(extensions, holders);
  }

  get size(): number {
    return this.extensions.length;
  }

  /**
   * The dense table for these requirements: entry [agent * requirements.length + r] is the agent's proficiency in
   * requirement r's skill, 0 when it does not hold the skill.
   */
  table(requirements: readonly EffectiveRequirement[]): Uint8Array {
    const width = requirements.length;
    const table = new Uint8Array(this.extensions.length * width);
    for (let r = 0; r < width; r++) {
      const h = this.holders.get((requirements[r] as EffectiveRequirement).skill);
      if (!h) continue;
      const { agents, proficiency } = h;
      for (let k = 0; k < agents.length; k++) table[(agents[k] as number) * width + r] = proficiency[k] as number;
    }
    return table;
  }
}
