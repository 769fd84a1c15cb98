/** Do-Not-Disturb state in SQLite: rules, overrides, calendar feeds, caller exceptions, per-extension settings. */
import type { CalendarFeedConfig, CallerException, DndOverride, ExtensionDndSettings, WeeklyRule } from '../dnd/index.js';
import type { Database } from './database.js';
import { JsonRows } from './json-rows.js';

export interface StoredDnd {
  readonly rules: unknown[];
  readonly overrides: unknown[];
  readonly calendars: unknown[];
  readonly exceptions: unknown[];
  readonly settings: unknown[];
}

export class SqliteDndStore {
  readonly rules: JsonRows<WeeklyRule>;
  readonly overrides: JsonRows<DndOverride>;
  readonly calendars: JsonRows<CalendarFeedConfig>;
  readonly exceptions: JsonRows<CallerException>;
  readonly settings: JsonRows<ExtensionDndSettings>;

  constructor(db: Database) {
    this.rules = new JsonRows(db, 'dnd_rules', 'id', ['extension']);
    this.overrides = new JsonRows(db, 'dnd_overrides', 'extension');
    this.calendars = new JsonRows(db, 'dnd_calendars', 'id', ['extension']);
    this.exceptions = new JsonRows(db, 'dnd_exceptions', 'id');
    this.settings = new JsonRows(db, 'dnd_settings', 'extension');
  }

  load(onBad?: (raw: string, err: unknown) => void): StoredDnd {
    return {
      rules: this.rules.all(onBad),
      overrides: this.overrides.all(onBad),
      calendars: this.calendars.all(onBad),
      exceptions: this.exceptions.all(onBad),
      settings: this.settings.all(onBad),
    };
  }
}
