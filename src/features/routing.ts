/**
 * Skills-based queue routing wired into the daemon: the RoutingService loaded from SQLite, agent
 * presence learned from REGISTERs and BYEs crossing the edge, the queue INVITE stage, DND-aware
 * availability, admin routes, metrics and events.
 */
import { Counter, Histogram } from 'prom-client';
import { routingApi } from '../admin/api/routes/routing.js';
import type { Config } from '../config/index.js';
import type { Feature, FeatureContext } from '../feature.js';
import { PresenceObserver } from '../routing/presence-observer.js';
import { RoutingService, type PresenceOptions, type RankedAgent } from '../routing/index.js';
import { RoutingStage } from '../routing/routing-stage.js';
import { SqliteRoutingStore } from '../store/routing.js';

function presenceOptions(config: Config): PresenceOptions {
  const a = config.routing.agents;
  return {
    requireRegistration: config.routing.require_registration,
    callLimit: a.call_limit,
    wrapUpSeconds: a.wrap_up_seconds,
    busyDelaySeconds: a.busy_delay_seconds,
    rejectDelaySeconds: a.reject_delay_seconds,
    noAnswerDelaySeconds: a.no_answer_delay_seconds,
    unreachableDelaySeconds: a.unreachable_delay_seconds,
    maxNoAnswer: a.max_no_answer,
  };
}

export class RoutingFeature implements Feature {
  readonly name = 'routing';
  readonly stages: readonly RoutingStage[];
  readonly observers: readonly PresenceObserver[];
  readonly api;
  readonly service: RoutingService;
  private config: Config;
  private readonly store: SqliteRoutingStore;

  constructor(context: FeatureContext, isInDnd: (extension: string, now: number) => boolean) {
    const { db, clock, logger, metrics, events } = context;
    this.config = context.config;
    this.store = new SqliteRoutingStore(db);
    this.service = new RoutingService({ presence: presenceOptions(context.config), isInDnd });
    const stored = this.store.load((err) => logger.error({ err: (err as Error).message }, 'stored routing configuration is unreadable; starting empty'));
    if (stored !== null) {
      try {
        this.service.load(stored);
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'stored routing configuration is invalid; starting empty (the database row is kept until the next change)');
      }
    }

    const registers = [metrics.registry];
    const calls = new Counter({ name: 'sipwarden_queue_calls_total', help: 'Queue calls by queue and outcome (answered, unanswered, no-agent)', labelNames: ['queue', 'outcome'] as const, registers });
    const attempts = new Counter({ name: 'sipwarden_queue_ring_attempts_total', help: 'Agent ring attempts by queue and outcome (answered, busy, no-answer, rejected, unreachable...)', labelNames: ['queue', 'outcome'] as const, registers });
    const answerTime = new Histogram({ name: 'sipwarden_queue_time_to_answer_seconds', help: 'From the INVITE to the answering agent, by queue', labelNames: ['queue'] as const, buckets: [1, 2, 5, 10, 20, 30, 60, 120], registers });

    const uriFor = (agent: RankedAgent): string => {
      if (this.config.routing.agent_address === 'contact' && agent.contact) return agent.contact;
      const host = this.config.pbx.host.includes(':') ? `[${this.config.pbx.host}]` : this.config.pbx.host;
      return `sip:${agent.extension}@${host}:${this.config.pbx.port};transport=${this.config.pbx.transport}`;
    };

    this.stages = [
      new RoutingStage(() => this.service, uriFor, {
        routed: (view, result, verdict) => {
          if (verdict.kind !== 'forward') calls.inc({ queue: result.queue.number, outcome: 'no-agent' });
          events.record({
            type: verdict.kind === 'forward' ? 'queue-routed' : 'queue-unavailable',
            severity: 'info',
            ip: view.sourceIp,
            username: view.from.uri?.user ?? null,
            method: view.method,
            details: {
              queue: result.queue.number,
              agents: result.ranked.map((a) => ({ extension: a.extension, score: a.score })),
              fallbackUsed: result.fallbackUsed,
              excluded: result.excluded.length,
            },
            at: view.receivedAt,
          });
          logger.info({ queue: result.queue.number, agents: result.ranked.map((a) => a.extension), callId: view.callId }, verdict.kind === 'forward' ? 'queue call routed' : 'queue call: no agent available');
        },
        completed: (view, queue, outcome, recorded) => {
          for (const attempt of recorded) if (attempt.outcome !== 'not-tried') attempts.inc({ queue, outcome: attempt.outcome });
          const answered = recorded.find((a) => a.outcome === 'answered');
          calls.inc({ queue, outcome: answered ? 'answered' : 'unanswered' });
          if (answered) answerTime.observe({ queue }, Math.max(0, (outcome.completedAt - view.receivedAt) / 1000));
          for (const paused of recorded.filter((a) => a.pausedNow)) logger.warn({ queue, agent: paused.extension }, 'agent paused after repeated no-answers');
        },
      }),
    ];
    this.observers = [new PresenceObserver(() => this.service.presence, context.config.routing.default_registration_expiry)];
    this.api = routingApi({ service: this.service, saved: () => this.store.save(this.service.exportConfig()), isInDnd }, clock);
  }

  reload(config: Config): void {
    this.config = config;
  }
}
