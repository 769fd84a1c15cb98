/**
 * Blocked addresses and ranges, in memory for the decision path, written through a
 * BlockRepository (SQLite, write-behind) and restored from it at start. Blocks expire by
 * themselves (active while now < expiresAt). Repeat offenders get longer blocks: the duration
 * is multiplied by factor^(earlier blocks within the lookback), capped, like fail2ban's
 * bantime.increment.
 */
import { LRUCache } from 'lru-cache';
import { NetworkSet, normalizeIp, normalizeTarget } from '../net/ip.js';
import type { Block, BlockRepository, BlockSource } from './block.js';

/** Longer blocks for repeat offenders (automatic blocks only). */
export interface Escalation {
  /** Each earlier block within the lookback multiplies the duration by this. */
  readonly factor: number;
  /** Escalated durations never exceed this. */
  readonly maxDurationMs: number;
  /** How far back earlier blocks count as offences. */
  readonly lookbackMs: number;
}

/** What to block, why, and for how long (before escalation). */
export interface BlockRequest {
  readonly target: string;
  readonly source: BlockSource;
  readonly reason: string;
  /** null: permanent. */
  readonly durationMs: number | null;
}

/** What a Blocklist is built from. */
export interface BlocklistOptions {
  readonly repository: BlockRepository;
  readonly escalation: Escalation;
  /** Targets whose earlier blocks are remembered for escalation. */
  readonly maxRememberedOffenders?: number;
}

/** At most this many earlier block times are kept per target (enough for any sane factor and cap). */
const MAX_REMEMBERED_OFFENCES = 64;

/** The active blocks, kept in memory and written through to a BlockRepository. */
export class Blocklist {
  /** canonical target -> its block (possibly expired until the next sweep). */
  private readonly blocks = new Map<string, Block>();
  private readonly ranges = new NetworkSet();
  private readonly offences: LRUCache<string, number[]>;
  private escalation: Escalation;

  /** Empty until restore() loads the repository's active blocks and recent offences. */
  constructor(private readonly options: BlocklistOptions) {
    this.escalation = options.escalation;
    this.offences = new LRUCache({ max: options.maxRememberedOffenders ?? 100_000 });
  }

  /** Apply new escalation settings (config reload); blocks and offences are kept. */
  reconfigure(escalation: Escalation): void {
    this.escalation = escalation;
  }

  /** Load the active blocks and recent offences from the repository; returns how many blocks are active. */
  restore(now: number): number {
    const { repository } = this.options;
    this.offences.clear();
    for (const { target, count, lastAt } of repository.loadOffences(now - this.escalation.lookbackMs)) {
      // Only the count and the latest time are stored: spread the count at lastAt (conservative for the lookback).
      this.offences.set(target, new Array<number>(Math.min(count, MAX_REMEMBERED_OFFENCES)).fill(lastAt));
    }
    this.blocks.clear();
    for (const block of repository.loadActive(now)) this.remember(block);
    return this.blocks.size;
  }

  /** The active block covering this address (canonical or raw; the address itself or a range), or null. */
  find(ip: string, now: number): Block | null {
    const direct = this.live(this.blocks.get(ip) ?? null, now);
    if (direct) return direct;
    if (this.blocks.size === 0) return null;
    const address = normalizeIp(ip);
    if (address === null) return null;
    if (address !== ip) {
      const exact = this.live(this.blocks.get(address) ?? null, now);
      if (exact) return exact;
    }
    if (this.ranges.size === 0) return null;
    const range = this.ranges.match(address);
    return range === null ? null : this.live(this.blocks.get(range) ?? null, now);
  }

  /** Block a target (replacing an active block of the same target). Throws when the target is not an IP or CIDR. */
  block(request: BlockRequest, now: number): Block {
    const target = normalizeTarget(request.target);
    if (target === null) throw new Error(`cannot block "${request.target}": not an IP address or CIDR range`);
    if (request.source !== 'manual' && target.includes('/')) {
      throw new Error(`cannot block "${request.target}" automatically (${request.source}): automatic blocks are a single address, only manual blocks may be ranges`);
    }
    const earlier = this.recentOffences(target, now);
    let expiresAt: number | null = null;
    if (request.durationMs !== null) {
      const duration =
        request.source === 'manual'
          ? request.durationMs
          : Math.min(request.durationMs * this.escalation.factor ** earlier.length, this.escalation.maxDurationMs);
      expiresAt = now + Math.max(1, Math.round(duration));
    }
    const block: Block = { target, source: request.source, reason: request.reason, createdAt: now, expiresAt, offence: earlier.length };
    this.offences.set(target, [...earlier, now].slice(-MAX_REMEMBERED_OFFENCES));
    this.remember(block);
    this.options.repository.save(block);
    return block;
  }

  /** Take over a block made elsewhere (another node, through Redis) as it is: no escalation, same expiry. */
  adopt(block: Block, now: number): boolean {
    const target = normalizeTarget(block.target);
    if (target === null || (block.expiresAt !== null && block.expiresAt <= now)) return false;
    // Automatic blocks are single addresses, on every node: a range shared as automatic is refused.
    if (block.source !== 'manual' && target.includes('/')) return false;
    if (this.live(this.blocks.get(target) ?? null, now)) return false;
    const adopted: Block = { ...block, target };
    this.remember(adopted);
    this.options.repository.save(adopted);
    return true;
  }

  /** Lift an active block before its time; false when there is none. */
  unblock(target: string, now: number): boolean {
    const canonical = normalizeTarget(target);
    if (canonical === null) return false;
    const block = this.live(this.blocks.get(canonical) ?? null, now);
    if (!block) return false;
    this.forget(canonical);
    this.options.repository.lift(canonical, now);
    return true;
  }

  /** Remove blocks that have expired at `now` and return them (the repository needs no write: expired rows are inactive). */
  sweep(now: number): Block[] {
    const expired: Block[] = [];
    for (const block of this.blocks.values()) {
      if (block.expiresAt !== null && now >= block.expiresAt) expired.push(block);
    }
    for (const block of expired) this.forget(block.target);
    return expired;
  }

  /** Every block active at `now`. */
  active(now: number): Block[] {
    return [...this.blocks.values()].filter((b) => b.expiresAt === null || now < b.expiresAt);
  }

  /** Blocks held in memory (expired ones count until the next sweep). */
  get size(): number {
    return this.blocks.size;
  }

  private recentOffences(target: string, now: number): number[] {
    const since = now - this.escalation.lookbackMs;
    return (this.offences.get(target) ?? []).filter((at) => at >= since);
  }

  private live(block: Block | null, now: number): Block | null {
    return block !== null && (block.expiresAt === null || now < block.expiresAt) ? block : null;
  }

  private remember(block: Block): void {
    this.blocks.set(block.target, block);
    if (block.target.includes('/')) this.ranges.add(block.target);
  }

  private forget(target: string): void {
    this.blocks.delete(target);
    if (target.includes('/')) this.ranges.remove(target);
  }
}
