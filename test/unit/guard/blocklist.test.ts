import { describe, expect, it } from 'vitest';
import type { Block, BlockRepository } from '../../../src/guard/block.js';
import { Blocklist, type Escalation } from '../../../src/guard/blocklist.js';

/** A BlockRepository kept in memory, with the same semantics as the SQLite one. */
class MemoryBlocks implements BlockRepository {
  rows: Array<Block & { liftedAt: number | null }> = [];
  save(block: Block): void {
    this.lift(block.target, block.createdAt);
    this.rows.push({ ...block, liftedAt: null });
  }
  lift(target: string, at: number): void {
    for (const row of this.rows) if (row.target === target && row.liftedAt === null && (row.expiresAt === null || row.expiresAt > at)) row.liftedAt = at;
  }
  loadActive(now: number): Block[] {
    return this.rows.filter((r) => r.liftedAt === null && (r.expiresAt === null || r.expiresAt > now));
  }
  loadOffences(since: number) {
    const counts = new Map<string, { target: string; count: number; lastAt: number }>();
    for (const r of this.rows.filter((row) => row.createdAt >= since)) {
      const c = counts.get(r.target) ?? { target: r.target, count: 0, lastAt: 0 };
      c.count++;
      c.lastAt = Math.max(c.lastAt, r.createdAt);
      counts.set(r.target, c);
    }
    return [...counts.values()];
  }
}

const HOUR = 3_600_000;
const escalation: Escalation = { factor: 2, maxDurationMs: 6 * HOUR, lookbackMs: 30 * 24 * HOUR };

function fresh(repo = new MemoryBlocks()) {
  return { repo, list: new Blocklist({ repository: repo, escalation }) };
}

describe('Blocklist', () => {
  it('a block is active until exactly expiresAt', () => {
    const { list } = fresh();
    list.block({ target: '192.0.2.1', source: 'flood', reason: 'r', durationMs: 1000 }, 0);
    expect(list.find('192.0.2.1', 999)).not.toBeNull();
    expect(list.find('192.0.2.1', 1000)).toBeNull();
  });

  it('a CIDR block covers its addresses, IPv4 and IPv6', () => {
    const { list } = fresh();
    list.block({ target: '198.51.100.0/24', source: 'manual', reason: 'r', durationMs: null }, 0);
    list.block({ target: '2001:db8::/32', source: 'manual', reason: 'r', durationMs: null }, 0);
    expect(list.find('198.51.100.77', 10 ** 12)?.target).toBe('198.51.100.0/24');
    expect(list.find('2001:db8:1::5', 0)?.target).toBe('2001:db8::/32');
    expect(list.find('198.51.101.1', 0)).toBeNull();
  });

  it('finds a block whatever the spelling of the address', () => {
    const { list } = fresh();
    list.block({ target: '::ffff:192.0.2.20', source: 'manual', reason: 'r', durationMs: null }, 0);
    list.block({ target: '2001:DB8::20', source: 'manual', reason: 'r', durationMs: null }, 0);
    expect(list.find('192.0.2.20', 0)?.target).toBe('192.0.2.20');
    expect(list.find('::ffff:192.0.2.20', 0)?.target).toBe('192.0.2.20');
    expect(list.find('2001:db8:0::20', 0)?.target).toBe('2001:db8::20');
    expect(list.find('not an address', 0)).toBeNull();
  });

  it('escalates repeat offenders 1, 2, 4, 8... up to the cap; manual blocks keep their duration', () => {
    const { list } = fresh();
    let now = 0;
    const durations: number[] = [];
    for (let i = 0; i < 5; i++) {
      const block = list.block({ target: '192.0.2.9', source: 'auth-failures', reason: 'r', durationMs: HOUR }, now);
      durations.push((block.expiresAt ?? 0) - now);
      now = block.expiresAt ?? 0;
    }
    expect(durations).toEqual([HOUR, 2 * HOUR, 4 * HOUR, 6 * HOUR, 6 * HOUR]);
    const manual = list.block({ target: '192.0.2.9', source: 'manual', reason: 'r', durationMs: HOUR }, now);
    expect(manual.expiresAt).toBe(now + HOUR);
    expect(manual.offence).toBe(5);
  });

  it('earlier blocks outside the lookback do not count', () => {
    const { list } = fresh();
    list.block({ target: '192.0.2.3', source: 'flood', reason: 'r', durationMs: HOUR }, 0);
    const later = list.block({ target: '192.0.2.3', source: 'flood', reason: 'r', durationMs: HOUR }, 31 * 24 * HOUR);
    expect(later.offence).toBe(0);
    expect(later.expiresAt).toBe(31 * 24 * HOUR + HOUR);
  });

  it('restores active blocks and offence counts after a restart', () => {
    const { repo, list } = fresh();
    list.block({ target: '192.0.2.4', source: 'scanner', reason: 'r', durationMs: HOUR }, 0);
    list.block({ target: '192.0.2.5', source: 'scanner', reason: 'r', durationMs: 10 }, 0);
    const restarted = new Blocklist({ repository: repo, escalation });
    expect(restarted.restore(100)).toBe(1);
    expect(restarted.find('192.0.2.4', 100)?.source).toBe('scanner');
    expect(restarted.find('192.0.2.5', 100)).toBeNull();
    const again = restarted.block({ target: '192.0.2.5', source: 'scanner', reason: 'r', durationMs: HOUR }, 200);
    expect(again.offence).toBe(1);
    expect(again.expiresAt).toBe(200 + 2 * HOUR);
  });

  it('unblocks early, and sweeps expired blocks', () => {
    const { repo, list } = fresh();
    list.block({ target: '192.0.2.6', source: 'manual', reason: 'r', durationMs: HOUR }, 0);
    list.block({ target: '192.0.2.7', source: 'flood', reason: 'r', durationMs: 50 }, 0);
    expect(list.unblock('192.0.2.6', 10)).toBe(true);
    expect(list.unblock('192.0.2.6', 10)).toBe(false);
    expect(repo.loadActive(10).map((b) => b.target)).toEqual(['192.0.2.7']);
    expect(list.sweep(49)).toEqual([]);
    expect(list.sweep(50).map((b) => b.target)).toEqual(['192.0.2.7']);
    expect(list.size).toBe(0);
  });

  it('refuses a target that is not an address or range', () => {
    const { list } = fresh();
    expect(() => list.block({ target: 'pbx.example.com', source: 'manual', reason: 'r', durationMs: null }, 0)).toThrow(/not an IP address or CIDR range/);
  });
});
