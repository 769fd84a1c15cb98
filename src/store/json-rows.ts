/**
 * Tables of JSON documents keyed by id: for state whose shape is validated by its own module
 * (DND rules, overrides, calendars...). Rows that no longer parse are reported, not fatal.
 */
import type { Database } from './database.js';

export class JsonRows<T> {
  private readonly selectAll;
  private readonly upsert;
  private readonly remove;

  constructor(db: Database, table: string, key: string, extraColumns: readonly string[] = []) {
    if (!/^\w+$/.test(table) || !/^\w+$/.test(key) || !extraColumns.every((c) => /^\w+$/.test(c))) throw new Error('bad table or column name');
    const columns = [key, ...extraColumns, 'data'];
    this.selectAll = db.prepare<[], { data: string }>(`SELECT data FROM ${table} ORDER BY ${key}`);
    this.upsert = db.prepare(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')}) ON CONFLICT(${key}) DO UPDATE SET ${columns
        .slice(1)
        .map((c) => `${c} = excluded.${c}`)
        .join(', ')}`,
    );
    this.remove = db.prepare(`DELETE FROM ${table} WHERE ${key} = ?`);
  }

  /** Every stored document; rows that are not JSON go to onBad. */
  all(onBad: (raw: string, err: unknown) => void = () => {}): unknown[] {
    const out: unknown[] = [];
    for (const { data } of this.selectAll.all()) {
      try {
        out.push(JSON.parse(data));
      } catch (err) {
        onBad(data, err);
      }
    }
    return out;
  }

  put(columns: Record<string, string>, document: T): void {
    this.upsert.run({ ...columns, data: JSON.stringify(document) });
  }

  delete(key: string): boolean {
    return this.remove.run(key).changes > 0;
  }
}
