import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Block } from '../../../src/guard/block.js';
import { SqliteBlockRepository, WriteBehindBlockRepository } from '../../../src/store/blocks.js';
import { DatabaseError, isWritable, openDatabase, type Database } from '../../../src/store/database.js';
import { SqliteEventStore } from '../../../src/store/events.js';
import { SqliteTrustedNetworkStore } from '../../../src/store/trusted-networks.js';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const open: Database[] = [];

function tempDb(): { file: string; db: Database } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-store-'));
  const file = path.join(dir, 'nested', 'sipwarden.db');
  const db = openDatabase(file);
  open.push(db);
  return { file, db };
}

function block(target: string, over: Partial<Block> = {}): Block {
  return { target, source: 'flood', reason: 'test', createdAt: T0, expiresAt: T0 + 60_000, offence: 0, ...over };
}

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

describe('database', () => {
  it('creates the folder, uses WAL and is writable', () => {
    const { db } = tempDb();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(isWritable(db)).toBe(true);
    db.close();
    expect(isWritable(db)).toBe(false);
  });

  it('refuses a corrupt file with a message saying what to do, and leaves the file alone', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-store-'));
    const file = path.join(dir, 'broken.db');
    const garbage = 'this is not a database '.repeat(100);
    writeFileSync(file, garbage);
    let error: unknown;
    try {
      openDatabase(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as Error).message).toMatch(/broken\.db is unusable .*did not change it: restore it from a backup, or move it aside/);
    expect(readFileSync(file, 'utf8')).toBe(garbage);
  });
});

describe('blocks', () => {
  it('keeps active blocks across a reopen, and not lifted or expired ones', () => {
    const { file, db } = tempDb();
    const repo = new SqliteBlockRepository(db);
    repo.save(block('192.0.2.1'));
    repo.save(block('192.0.2.2', { expiresAt: null, source: 'manual' }));
    repo.save(block('192.0.2.3'));
    repo.lift('192.0.2.3', T0 + 1000);
    repo.save(block('2001:db8::/32', { expiresAt: T0 + 10 }));
    db.close();

    const again = new SqliteBlockRepository(openDatabase(file));
    const active = again.loadActive(T0 + 10);
    expect(active.map((b) => b.target).sort()).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(active.find((b) => b.target === '192.0.2.2')?.expiresAt).toBeNull();
  });

  it('replacing a block lifts the previous one, and offences count both', () => {
    const { db } = tempDb();
    const repo = new SqliteBlockRepository(db);
    repo.save(block('192.0.2.9'));
    repo.save(block('192.0.2.9', { createdAt: T0 + 5, expiresAt: T0 + 120_000, offence: 1 }));
    expect(repo.loadActive(T0 + 10)).toHaveLength(1);
    expect(repo.loadOffences(T0 - 1)).toEqual([{ target: '192.0.2.9', count: 2, lastAt: T0 + 5 }]);
    const history = repo.history({ limit: 10, offset: 0 });
    expect(history.total).toBe(2);
    expect(history.items[0]?.createdAt).toBe(T0 + 5);
    expect(history.items[1]?.liftedAt).toBe(T0 + 5);
  });

  it('history filters and pages', () => {
    const { db } = tempDb();
    const repo = new SqliteBlockRepository(db);
    for (let i = 0; i < 5; i++) repo.save(block(`198.51.100.${i}`, { createdAt: T0 + i, source: i % 2 === 0 ? 'scanner' : 'manual' }));
    expect(repo.history({ source: 'scanner', limit: 2, offset: 0 })).toMatchObject({ total: 3, items: [{ target: '198.51.100.4' }, { target: '198.51.100.2' }] });
    expect(repo.history({ source: 'scanner', limit: 2, offset: 2 }).items.map((b) => b.target)).toEqual(['198.51.100.0']);
    expect(repo.history({ since: T0 + 3, limit: 10, offset: 0 }).total).toBe(2);
  });

  it('write-behind: nothing on disk until the next turn, everything after flush()', async () => {
    const { db } = tempDb();
    const store = new SqliteBlockRepository(db);
    const writes = new WriteBehindBlockRepository(store);
    writes.save(block('203.0.113.1'));
    expect(store.loadActive(T0)).toHaveLength(0);
    expect(writes.pendingWrites).toBe(1);
    writes.flush();
    expect(store.loadActive(T0)).toHaveLength(1);
    writes.save(block('203.0.113.2'));
    writes.lift('203.0.113.1', T0 + 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.loadActive(T0 + 2).map((b) => b.target)).toEqual(['203.0.113.2']);
  });
});

describe('events', () => {
  it('buffers, then answers queries newest first with filters, counts and top lists', () => {
    const { db } = tempDb();
    const events = new SqliteEventStore(db);
    const base = { severity: 'low' as const, method: 'REGISTER', details: { n: 1 } };
    events.record({ ...base, type: 'auth-failure', ip: '192.0.2.1', username: 'alice', at: T0 });
    events.record({ ...base, type: 'auth-failure', ip: '192.0.2.1', username: 'bob', at: T0 + 1 });
    events.record({ ...base, type: 'scanner', severity: 'high', ip: '192.0.2.2', username: null, at: T0 + 2 });
    expect(events.query({ limit: 10, offset: 0 }).total).toBe(0);
    events.flush();
    const all = events.query({ limit: 10, offset: 0 });
    expect(all.total).toBe(3);
    expect(all.items.map((e) => e.type)).toEqual(['scanner', 'auth-failure', 'auth-failure']);
    expect(all.items[2]?.details).toEqual({ n: 1 });
    expect(events.query({ ip: '192.0.2.1', username: 'bob', limit: 10, offset: 0 }).total).toBe(1);
    expect(events.query({ types: ['scanner', 'flood'], limit: 10, offset: 0 }).total).toBe(1);
    expect(events.query({ since: T0 + 1, until: T0 + 1, limit: 10, offset: 0 }).total).toBe(1);
    expect(events.countsByType(T0)).toEqual({ 'auth-failure': 2, scanner: 1 });
    expect(events.topIps(T0, 1)).toEqual([{ ip: '192.0.2.1', count: 2 }]);
    expect(events.topUsernames(T0, 5)).toEqual([
      { username: 'alice', count: 1 },
      { username: 'bob', count: 1 },
    ]);
  });

  it('prunes old events and writes the buffer on close', () => {
    const { file, db } = tempDb();
    const events = new SqliteEventStore(db);
    events.record({ type: 'flood', severity: 'high', ip: '192.0.2.5', username: null, method: 'OPTIONS', details: {}, at: T0 });
    events.record({ type: 'flood', severity: 'high', ip: '192.0.2.5', username: null, method: 'OPTIONS', details: {}, at: T0 + 86_400_000 });
    expect(events.prune(T0 + 1)).toBe(1);
    events.record({ type: 'block', severity: 'high', ip: '192.0.2.5', username: null, method: null, details: {}, at: T0 + 86_400_001 });
    events.close();
    db.close();
    const reopened = new SqliteEventStore(openDatabase(file));
    expect(reopened.query({ limit: 10, offset: 0 }).total).toBe(2);
  });

  it('drops events beyond the buffer bound and says so', () => {
    const { db } = tempDb();
    let dropped = 0;
    const events = new SqliteEventStore(db, { maxBuffered: 2, onDrop: () => dropped++ });
    for (let i = 0; i < 5; i++) events.record({ type: 'flood', severity: 'high', ip: null, username: null, method: null, details: {}, at: T0 + i });
    expect(dropped).toBe(3);
    events.close();
  });
});

describe('trusted networks', () => {
  it('adds, updates, lists and removes', () => {
    const { db } = tempDb();
    const store = new SqliteTrustedNetworkStore(db);
    expect(store.add('10.0.0.0/8', 'office', T0)).toBe(true);
    expect(store.add('10.0.0.0/8', 'head office', T0 + 1)).toBe(false);
    expect(store.list()).toEqual([{ cidr: '10.0.0.0/8', note: 'head office', createdAt: T0 }]);
    expect(store.remove('10.0.0.0/8')).toBe(true);
    expect(store.remove('10.0.0.0/8')).toBe(false);
  });
});
