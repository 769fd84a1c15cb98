/**
 * Blocks shared through Redis: a hash (target -> block) that every sipwarden node in front of the
 * same PBX reads and writes, and a set of blocked single addresses that drachtio-server polls to
 * drop their packets itself (<blacklist>). The hash is the truth while Redis is reachable; a
 * node keeps working on its own blocks (SQLite) when it is not. Nothing here is on the SIP path:
 * every call is asynchronous and its failure is logged, never thrown at a request.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Block, BlockRepository, BlockSource } from '../guard/block.js';
import type { RedisConfig } from '../config/sections/redis.js';

interface SharedBlock extends Block {
  readonly node: string;
}

const SOURCES: ReadonlySet<string> = new Set<BlockSource>(['manual', 'flood', 'scanner', 'auth-failures', 'enumeration', 'admin-auth']);

function parseShared(text: string): SharedBlock | null {
  try {
    const b = JSON.parse(text) as Partial<SharedBlock>;
    if (typeof b.target !== 'string' || typeof b.reason !== 'string' || typeof b.createdAt !== 'number' || !SOURCES.has(String(b.source))) return null;
    if (b.expiresAt !== null && typeof b.expiresAt !== 'number') return null;
    return { target: b.target, source: b.source as BlockSource, reason: b.reason, createdAt: b.createdAt, expiresAt: b.expiresAt ?? null, offence: Number(b.offence) || 0, node: String(b.node ?? '?') };
  } catch {
    return null;
  }
}

export interface SyncResult {
  /** Blocks other nodes made that this node does not have yet. */
  readonly adopt: Block[];
  /** Targets blocked here that another node lifted. */
  readonly lifted: string[];
}

export class RedisBlockSharing {
  private readonly redis: Redis;
  /** Targets this node has written to the hash (so their absence later means someone lifted them). */
  private readonly published = new Set<string>();

  constructor(
    private readonly config: RedisConfig & { readonly url: string },
    private readonly logger: Logger,
  ) {
    this.redis = new Redis(config.url, {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    });
    let down = false;
    this.redis.on('error', (err: Error) => {
      if (!down) logger.warn({ err: err.message }, 'Redis unreachable: blocks are not shared until it is back');
      down = true;
    });
    this.redis.on('ready', () => {
      if (down) logger.info('Redis reachable again');
      down = false;
    });
  }

  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  /** Write a block for every node (and for drachtio-server's set when it is a single address). */
  publish(block: Block): void {
    const shared: SharedBlock = { ...block, node: this.config.node };
    const multi = this.redis.multi().hset(this.config.blocks_key, block.target, JSON.stringify(shared));
    if (!block.target.includes('/')) multi.sadd(this.config.blacklist_key, block.target);
    multi.exec().then(
      () => this.published.add(block.target),
      (err: unknown) => this.logger.warn({ err: (err as Error).message, target: block.target }, 'could not share a block through Redis; will retry at the next sync'),
    );
  }

  lift(target: string): void {
    this.published.delete(target);
    this.redis
      .multi()
      .hdel(this.config.blocks_key, target)
      .srem(this.config.blacklist_key, target)
      .exec()
      .catch((err: unknown) => this.logger.warn({ err: (err as Error).message, target }, 'could not lift a shared block in Redis'));
  }

  /**
   * Reconcile with Redis: drop expired shared blocks, publish local ones Redis lacks, report what
   * others blocked or lifted, and make drachtio-server's set equal to the active single addresses.
   */
  async sync(local: readonly Block[], now: number): Promise<SyncResult> {
    const raw = await this.redis.hgetall(this.config.blocks_key);
    const shared = new Map<string, SharedBlock>();
    const expired: string[] = [];
    for (const [target, text] of Object.entries(raw)) {
      const block = parseShared(text);
      if (block === null || (block.expiresAt !== null && block.expiresAt <= now)) expired.push(target);
      else shared.set(target, block);
    }
    const lifted: string[] = [];
    for (const block of local) {
      if (shared.has(block.target)) continue;
      if (this.published.has(block.target)) {
        lifted.push(block.target);
        this.published.delete(block.target);
      } else {
        this.publish(block);
        shared.set(block.target, { ...block, node: this.config.node });
      }
    }
    const localTargets = new Set(local.map((b) => b.target));
    const adopt = [...shared.values()].filter((b) => !localTargets.has(b.target) && !lifted.includes(b.target));
    for (const block of adopt) this.published.add(block.target);

    const wanted = new Set([...shared.keys()].filter((t) => !t.includes('/') && !lifted.includes(t)));
    const current = new Set(await this.redis.smembers(this.config.blacklist_key));
    const add = [...wanted].filter((t) => !current.has(t));
    const remove = [...current].filter((t) => !wanted.has(t));
    const multi = this.redis.multi();
    if (expired.length > 0) multi.hdel(this.config.blocks_key, ...expired);
    if (add.length > 0) multi.sadd(this.config.blacklist_key, ...add);
    if (remove.length > 0) multi.srem(this.config.blacklist_key, ...remove);
    await multi.exec();
    return { adopt: adopt.map(({ node: _node, ...block }) => block), lifted };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** A BlockRepository that also shares every change through Redis. */
export class SharedBlockRepository implements BlockRepository {
  constructor(
    private readonly local: BlockRepository,
    private readonly sharing: RedisBlockSharing,
  ) {}

  save(block: Block): void {
    this.local.save(block);
    this.sharing.publish(block);
  }

  lift(target: string, at: number): void {
    this.local.lift(target, at);
    this.sharing.lift(target);
  }

  loadActive(now: number): Block[] {
    return this.local.loadActive(now);
  }

  loadOffences(since: number): Array<{ target: string; count: number; lastAt: number }> {
    return this.local.loadOffences(since);
  }
}
