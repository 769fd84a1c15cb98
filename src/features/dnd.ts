/**
 * Do-Not-Disturb wired into the daemon: the DndService loaded from SQLite, calendar feeds
 * polled in the background, the INVITE stage, the admin routes, metrics and events. Every
 * change through the API is validated by the DND module, then stored, then applied.
 */
import { Counter } from 'prom-client';
import { dndApi, type DndAdmin } from '../admin/api/routes/dnd.js';
import type { Config } from '../config/index.js';
import { CalendarPoller, DndService, validateCalendarFeedConfig, type CalendarFeedStatus, type WeeklyRuleInput } from '../dnd/index.js';
import { DndStage } from '../dnd/dnd-stage.js';
import { ExtensionMatcher } from '../dnd/extension-matcher.js';
import type { Feature, FeatureContext } from '../feature.js';
import { SqliteDndStore } from '../store/dnd.js';

export class DndFeature implements Feature, DndAdmin {
  readonly name = 'dnd';
  readonly stages: readonly DndStage[];
  readonly api;
  private current: { service: DndService; extensions: ExtensionMatcher };
  private readonly store: SqliteDndStore;
  private readonly poller: CalendarPoller;
  private readonly held: Counter<'extension'>;
  private sweep: NodeJS.Timeout | null = null;

  constructor(private readonly context: FeatureContext) {
    const { config, db, clock, logger, metrics, events } = context;
    this.store = new SqliteDndStore(db);
    this.current = this.build(config);
    this.held = new Counter({
      name: 'sipwarden_dnd_calls_held_total',
      help: 'New INVITEs answered by sipwarden because the called extension is in Do-Not-Disturb, by extension',
      labelNames: ['extension'] as const,
      registers: [metrics.registry],
    });
    this.poller = new CalendarPoller({
      intervalMs: config.dnd.calendar_poll_interval,
      clock,
      onSnapshot: (feed, snapshot) => {
        this.current.service.setCalendar(feed.id, feed.extension, snapshot);
        this.current.service.warm(clock(), feed.extension);
      },
      onPoll: (feed, result) => logger.debug({ calendar: feed.id, result }, 'calendar polled'),
    });
    for (const stored of this.store.calendars.all()) {
      try {
        this.poller.add(validateCalendarFeedConfig({ timeoutMs: config.dnd.calendar_timeout, ...(stored as object) }));
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'a stored calendar feed is invalid and was skipped');
      }
    }
    // The stage always sees the current service (a reload builds a new one).
    const feature = this;
    const source = {
      get service(): DndService {
        return feature.current.service;
      },
      get extensions(): ExtensionMatcher {
        return feature.current.extensions;
      },
    };
    this.stages = [
      new DndStage(source, (view, extension, decision) => {
        this.held.inc({ extension });
        events.record({
          type: 'dnd',
          severity: 'info',
          ip: view.sourceIp,
          username: view.from.uri?.user ?? null,
          method: view.method,
          details: { extension, status: decision.status, reason: decision.dndStatus.reason, retryAfter: decision.retryAfterSeconds ?? null },
          at: view.receivedAt,
        });
      }),
    ];
    this.api = dndApi(this, clock);
  }

  /** A DndService with the config's defaults, loaded from the database. */
  private build(config: Config): { service: DndService; extensions: ExtensionMatcher } {
    const { logger } = this.context;
    const service = new DndService({ defaultTimezone: config.dnd.default_timezone, defaultResponseStatus: config.dnd.default_status, retryAfter: config.dnd.retry_after });
    const stored = this.store.load((raw) => logger.error({ row: raw.slice(0, 200) }, 'unreadable DND row skipped'));
    const load = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        logger.error({ what, err: (err as Error).message }, 'stored DND data is invalid; that part was not loaded');
      }
    };
    load('settings', () => stored.settings.forEach((s) => service.setExtensionSettings(s)));
    load('rules', () => service.replaceRules(stored.rules as WeeklyRuleInput[]) /* validated inside */);
    load('overrides', () => service.replaceOverrides(stored.overrides));
    load('exceptions', () => service.replaceExceptions(stored.exceptions));
    return { service, extensions: new ExtensionMatcher(config.dnd.extensions) };
  }

  start(): void {
    const { clock, config } = this.context;
    this.poller.start();
    this.sweep = setInterval(() => {
      for (const expired of this.current.service.pruneExpiredOverrides(clock())) this.store.overrides.delete(expired.extension);
    }, config.dnd.override_sweep_interval);
    this.sweep.unref();
    this.current.service.warm(clock());
  }

  async stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    await this.poller.stop();
  }

  reload(config: Config): void {
    const next = this.build(config);
    for (const feed of this.poller.feeds()) if (feed.snapshot) next.service.setCalendar(feed.id, feed.extension, feed.snapshot);
    this.current = next;
  }

  get service(): DndService {
    return this.current.service;
  }

  // DndAdmin: validate (DndService), store, apply.
  status(extension: string, now: number) {
    return this.current.service.status(extension, now);
  }
  statusAll(now: number) {
    return this.current.service.statusAll(now);
  }
  rules(extension?: string) {
    return this.current.service.rules(extension);
  }
  putRule(input: unknown) {
    const rule = this.current.service.upsertRule(input as WeeklyRuleInput); // validated inside
    this.store.rules.put({ id: rule.id, extension: rule.extension }, rule);
    return rule;
  }
  removeRule(id: string) {
    const removed = this.current.service.removeRule(id);
    this.store.rules.delete(id);
    return removed;
  }
  setOverride(extension: string, input: unknown, now: number) {
    const override = this.current.service.setOverride(extension, input, now);
    this.store.overrides.put({ extension }, override);
    return override;
  }
  clearOverride(extension: string) {
    const cleared = this.current.service.clearOverride(extension);
    this.store.overrides.delete(extension);
    return cleared;
  }
  calendars(): CalendarFeedStatus[] {
    return this.poller.statuses();
  }
  putCalendar(input: unknown): CalendarFeedStatus {
    const config = validateCalendarFeedConfig({ timeoutMs: this.context.config.dnd.calendar_timeout, ...(input as object) });
    const feed = this.poller.get(config.id) ? this.poller.update(config) : this.poller.add(config);
    this.store.calendars.put({ id: config.id, extension: config.extension }, config);
    void this.poller.pollNow(config.id);
    return feed.status();
  }
  removeCalendar(id: string) {
    const removed = this.poller.remove(id);
    this.current.service.removeCalendar(id);
    this.store.calendars.delete(id);
    return removed;
  }
  exceptions(extension?: string) {
    return this.current.service.exceptions(extension);
  }
  putException(input: unknown) {
    const exception = this.current.service.upsertException(input);
    this.store.exceptions.put({ id: exception.id }, exception);
    return exception;
  }
  removeException(id: string) {
    const removed = this.current.service.removeException(id);
    this.store.exceptions.delete(id);
    return removed;
  }
  putSettings(input: unknown) {
    const settings = this.current.service.setExtensionSettings(input);
    this.store.settings.put({ extension: settings.extension }, settings);
    return settings;
  }
}
