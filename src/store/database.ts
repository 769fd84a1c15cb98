/**
 * The SQLite database: open (WAL), check, migrate. One file holds every durable thing:
 * blocks, security events, trusted networks, DND, skills, MFA.
 *
 * WAL with synchronous=NORMAL: a committed transaction survives the process being killed
 * at any moment (kill -9); only an OS crash or power loss may lose the last few.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Logger } from 'pino';
import { MIGRATIONS } from './migrations.js';

export type Database = BetterSqlite3.Database;

/** The database cannot be used; the message says which file and what to do. */
export class DatabaseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

export function openDatabase(file: string, options: { logger?: Logger } = {}): Database {
  if (file !== ':memory:') {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
    } catch (err) {
      throw new DatabaseError(`cannot create the folder of database ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  let db: Database;
  try {
    db = new BetterSqlite3(file);
  } catch (err) {
    throw new DatabaseError(`cannot open database ${file}: ${(err as Error).message} (check the path and its permissions)`, { cause: err });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 2000');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`integrity check says: ${String(check)}`);
    migrate(db, options.logger);
  } catch (err) {
    db.close();
    if (err instanceof DatabaseError) throw err;
    throw new DatabaseError(
      `database ${file} is unusable (${(err as Error).message}). sipwarden did not change it: ` +
        'restore it from a backup, or move it aside to start with an empty one (blocks and events in it would then be forgotten)',
      { cause: err },
    );
  }
  return db;
}

function migrate(db: Database, logger: Logger | undefined): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new DatabaseError(`the database schema (version ${current}) is newer than this sipwarden (${MIGRATIONS.length}); upgrade sipwarden or use another database file`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    const sql = MIGRATIONS[version] ?? '';
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    })();
    logger?.info({ version: version + 1 }, 'database migrated');
  }
}

/** True when a write transaction can be taken right now (for /healthz). */
export function isWritable(db: Database): boolean {
  if (!db.open || db.readonly) return false;
  try {
    db.prepare('INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at').run(Date.now());
    return true;
  } catch {
    return false;
  }
}
