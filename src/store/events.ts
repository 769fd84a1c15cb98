/**
 * Security events in SQLite. record() only buffers (the SIP path never waits on disk); the
 * buffer is written in batches shortly after, and on flush()/close(). A bounded buffer: when
 * the database cannot keep up, the newest events are dropped and counted, never the process.
 */
import type { EventSeverity, EventSink, EventType, SecurityEvent } from '../events.js';
import type { Database } from './database.js';

export interface EventQuery {
  readonly type?: EventType;
  readonly types?: readonly EventType[];
  readonly severity?: EventSeverity;
  readonly ip?: string;
  readonly username?: string;
  readonly since?: number;
  readonly until?: number;
  readonly limit: number;
  readonly offset: number;
}

export type StoredEvent = SecurityEvent & { readonly id: number };

interface EventRow {
  id: number;
  at: number;
  type: string;
  severity: string;
  ip: string | null;
  username: string | null;
  method: string | null;
  details: string;
}

export interface EventStoreOptions {
  /** How long record() may buffer before writing (ms). */
  readonly flushDelayMs?: number;
  readonly maxBuffered?: number;
  readonly onDrop?: () => void;
  readonly onError?: (err: unknown) => void;
}

export class SqliteEventStore implements EventSink {
  private buffer: SecurityEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly insert;
  private readonly flushDelayMs: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly db: Database,
    private readonly options: EventStoreOptions = {},
  ) {
    this.flushDelayMs = options.flushDelayMs ?? 200;
    this.maxBuffered = options.maxBuffered ?? 50_000;
    this.insert = db.prepare(
      'INSERT INTO events (at, type, severity, ip, username, method, details) VALUES (@at, @type, @severity, @ip, @username, @method, @details)',
    );
  }

  record(event: SecurityEvent): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.options.onDrop?.();
      return;
    }
    this.buffer.push(event);
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        try {
          this.flush();
        } catch (err) {
          this.options.onError?.(err);
        }
      }, this.flushDelayMs);
      this.timer.unref();
    }
  }

  /** Write buffered events now. */
  flush(): void {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.db.transaction(() => {
      for (const e of batch) {
        this.insert.run({ at: e.at, type: e.type, severity: e.severity, ip: e.ip, username: e.username, method: e.method, details: JSON.stringify(e.details) });
      }
    })();
    this.buffer = this.buffer.slice(batch.length);
  }

  /** Events matching the query, newest first. */
  query(query: EventQuery): { total: number; items: StoredEvent[] } {
    const { clause, params } = whereClause(query);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM events ${clause}`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare<Record<string, string | number>, EventRow>(`SELECT * FROM events ${clause} ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: query.limit, offset: query.offset });
    return { total, items: rows.map(toEvent) };
  }

  countsByType(since: number): Partial<Record<EventType, number>> {
    const rows = this.db.prepare<[number], { type: string; n: number }>('SELECT type, COUNT(*) AS n FROM events WHERE at >= ? GROUP BY type').all(since);
    return Object.fromEntries(rows.map((r) => [r.type, r.n])) as Partial<Record<EventType, number>>;
  }

  /** The addresses with the most security events (excluding routine info events) since `since`. */
  topIps(since: number, n: number): Array<{ ip: string; count: number }> {
    return this.db
      .prepare<[number, number], { ip: string; count: number }>(
        "SELECT ip, COUNT(*) AS count FROM events WHERE at >= ? AND ip IS NOT NULL AND severity != 'info' GROUP BY ip ORDER BY count DESC, ip LIMIT ?",
      )
      .all(since, n);
  }

  /** The usernames with the most authentication failures since `since`. */
  topUsernames(since: number, n: number): Array<{ username: string; count: number }> {
    return this.db
      .prepare<[number, number], { username: string; count: number }>(
        "SELECT username, COUNT(*) AS count FROM events WHERE at >= ? AND username IS NOT NULL AND type IN ('auth-failure', 'mfa-failure', 'admin-auth-failure') GROUP BY username ORDER BY count DESC, username LIMIT ?",
      )
      .all(since, n);
  }

  /** Delete events older than `cutoff`; returns how many. */
  prune(cutoff: number): number {
    this.flush();
    return this.db.prepare('DELETE FROM events WHERE at < ?').run(cutoff).changes;
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }
}

function whereClause(query: EventQuery): { clause: string; params: Record<string, string | number> } {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  const add = (sql: string, name: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    where.push(sql);
    params[name] = value;
  };
  add('type = @type', 'type', query.type);
  add('severity = @severity', 'severity', query.severity);
  add('ip = @ip', 'ip', query.ip);
  add('username = @username', 'username', query.username);
  add('at >= @since', 'since', query.since);
  add('at <= @until', 'until', query.until);
  if (query.types !== undefined && query.types.length > 0) {
    const names = query.types.map((t, i) => {
      params[`t${i}`] = t;
      return `@t${i}`;
    });
    where.push(`type IN (${names.join(', ')})`);
  }
  return { clause: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', params };
}

function toEvent(row: EventRow): StoredEvent {
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.details);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) details = parsed as Record<string, unknown>;
  } catch {
    details = { unreadable: row.details };
  }
  return {
    id: row.id,
    at: row.at,
    type: row.type as EventType,
    severity: row.severity as EventSeverity,
    ip: row.ip,
    username: row.username,
    method: row.method,
    details,
  };
}
