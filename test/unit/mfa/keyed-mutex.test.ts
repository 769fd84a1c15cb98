import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../../src/mfa/keyed-mutex.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('KeyedMutex', () => {
  it('serialises work per key, runs other keys in parallel, survives errors and cleans up', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (name: string, ms: number, fail = false) => async (): Promise<string> => {
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const a1 = m.run('a', job('a1', 20, true));
    const a2 = m.run('a', job('a2', 1));
    const b1 = m.run('b', job('b1', 1));
    await expect(a1).rejects.toThrow('a1');
    expect(await a2).toBe('a2');
    expect(await b1).toBe('b1');
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'));
    await tick(0);
    expect(m.size).toBe(0);
  });
});
