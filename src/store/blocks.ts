/**
 * Blocks in SQLite: the active set (restored at start), the history (kept for escalation and
 * the API), and a write-behind wrapper so that the SIP decision path never waits on disk.
 */
import type { Block, BlockRepository, BlockSource } from '../guard/block.js';
import type { Database } from './database.js';

interface BlockRow {
  target: string;
  source: string;
  reason: string;
  created_at: number;
  expires_at: number | null;
  offence: number;
  lifted_at: number | null;
}

export interface BlockHistoryQuery {
  readonly target?: string;
  readonly source?: BlockSource;
  readonly since?: number;
  readonly until?: number;
  readonly limit: number;
  readonly offset: number;
}

export type HistoricalBlock = Block & { readonly liftedAt: number | null };

function toBlock(row: BlockRow): Block {
  return {
    target: row.target,
    source: row.source as BlockSource,
    reason: row.reason,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    offence: row.offence,
  };
}

export class SqliteBlockRepository implements BlockRepository {
  private readonly liftActive;
  private readonly insert;
  private readonly selectActive;
  private readonly selectOffences;

  constructor(private readonly db: Database) {
    this.liftActive = db.prepare(
      'UPDATE blocks SET lifted_at = @at WHERE target = @target AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > @at)',
    );
    this.insert = db.prepare(
      'INSERT INTO blocks (target, source, reason, created_at, expires_at, offence) VALUES (@target, @source, @reason, @createdAt, @expiresAt, @offence)',
    );
    this.selectActive = db.prepare<[number], BlockRow>(
      'SELECT * FROM blocks WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at',
    );
    this.selectOffences = db.prepare<[number], { target: string; count: number; lastAt: number }>(
      'SELECT target, COUNT(*) AS count, MAX(created_at) AS lastAt FROM blocks WHERE created_at >= ? GROUP BY target',
    );
  }

  save(block: Block): void {
    this.db.transaction(() => {
      this.liftActive.run({ target: block.target, at: block.createdAt });
      this.insert.run(block);
    })();
  }

  lift(target: string, at: number): void {
    this.liftActive.run({ target, at });
  }

  /** Run several writes as one transaction. */
  transaction(fn: () => void): void {
    this.db.transaction(fn)();
  }

  loadActive(now: number): Block[] {
    return this.selectActive.all(now).map(toBlock);
  }

  loadOffences(since: number): Array<{ target: string; count: number; lastAt: number }> {
    return this.selectOffences.all(since);
  }

  /** Block history, newest first, with filters and pagination. */
  history(query: BlockHistoryQuery): { total: number; items: HistoricalBlock[] } {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (query.target !== undefined) {
      where.push('target = @target');
      params['target'] = query.target;
    }
    if (query.source !== undefined) {
      where.push('source = @source');
      params['source'] = query.source;
    }
    if (query.since !== undefined) {
      where.push('created_at >= @since');
      params['since'] = query.since;
    }
    if (query.until !== undefined) {
      where.push('created_at <= @until');
      params['until'] = query.until;
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM blocks ${clause}`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare<Record<string, string | number>, BlockRow>(`SELECT * FROM blocks ${clause} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: query.limit, offset: query.offset });
    return { total, items: rows.map((row) => ({ ...toBlock(row), liftedAt: row.lifted_at })) };
  }
}

type PendingWrite = { readonly op: 'save'; readonly block: Block } | { readonly op: 'lift'; readonly target: string; readonly at: number };

/**
 * Queues writes and applies them in one transaction on the next turn of the event loop.
 * flush() writes now: the admin API calls it before it acknowledges a block, so an
 * acknowledged block is on disk.
 */
export class WriteBehindBlockRepository implements BlockRepository {
  private pending: PendingWrite[] = [];
  private scheduled = false;

  constructor(
    private readonly store: SqliteBlockRepository,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  save(block: Block): void {
    this.enqueue({ op: 'save', block });
  }

  lift(target: string, at: number): void {
    this.enqueue({ op: 'lift', target, at });
  }

  loadActive(now: number): Block[] {
    this.flush();
    return this.store.loadActive(now);
  }

  loadOffences(since: number): Array<{ target: string; count: number; lastAt: number }> {
    this.flush();
    return this.store.loadOffences(since);
  }

  history(query: BlockHistoryQuery): { total: number; items: HistoricalBlock[] } {
    this.flush();
    return this.store.history(query);
  }

  get pendingWrites(): number {
    return this.pending.length;
  }

  /** Write every queued change now. Throws when the database refuses (the queue is kept). */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.store.transaction(() => {
      for (const write of batch) {
        if (write.op === 'save') this.store.save(write.block);
        else this.store.lift(write.target, write.at);
      }
    });
    this.pending = this.pending.slice(batch.length);
  }

  private enqueue(write: PendingWrite): void {
    this.pending.push(write);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.flush();
      } catch (err) {
        this.onError(err);
      }
    });
  }
}
