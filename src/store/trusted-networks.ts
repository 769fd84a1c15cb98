/** Trusted networks added at run time through the admin API (the config file's ones are not stored here). */
import type { Database } from './database.js';

export interface TrustedNetwork {
  readonly cidr: string;
  readonly note: string | null;
  readonly createdAt: number;
}

export class SqliteTrustedNetworkStore {
  constructor(private readonly db: Database) {}

  list(): TrustedNetwork[] {
    return this.db
      .prepare<[], { cidr: string; note: string | null; created_at: number }>('SELECT cidr, note, created_at FROM trusted_networks ORDER BY created_at, cidr')
      .all()
      .map((r) => ({ cidr: r.cidr, note: r.note, createdAt: r.created_at }));
  }

  /** Add or update (note) a network; returns true when it was new. */
  add(cidr: string, note: string | null, now: number): boolean {
    const existed = this.db.prepare('SELECT 1 FROM trusted_networks WHERE cidr = ?').get(cidr) !== undefined;
    this.db
      .prepare('INSERT INTO trusted_networks (cidr, note, created_at) VALUES (?, ?, ?) ON CONFLICT(cidr) DO UPDATE SET note = excluded.note')
      .run(cidr, note, now);
    return !existed;
  }

  remove(cidr: string): boolean {
    return this.db.prepare('DELETE FROM trusted_networks WHERE cidr = ?').run(cidr).changes > 0;
  }
}
