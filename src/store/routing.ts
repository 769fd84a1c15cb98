/** Queue routing configuration (skills, agent skills, queues, requirements) in SQLite, as one document. */
import type { RoutingConfig } from '../routing/index.js';
import type { Database } from './database.js';

export class SqliteRoutingStore {
  constructor(private readonly db: Database) {}

  /** The stored configuration, or null when none (or when it cannot be read: onBad says why). */
  load(onBad: (err: unknown) => void = () => {}): unknown {
    const row = this.db.prepare<[], { data: string }>('SELECT data FROM routing_config WHERE id = 1').get();
    if (!row) return null;
    try {
      return JSON.parse(row.data) as unknown;
    } catch (err) {
      onBad(err);
      return null;
    }
  }

  save(config: RoutingConfig): void {
    this.db.prepare('INSERT INTO routing_config (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data').run(JSON.stringify(config));
  }
}
