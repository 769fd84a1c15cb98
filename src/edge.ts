/**
 * The request pipeline: for every new SIP request, ask the guards in order and return a Verdict;
 * when a forwarded request gets its final answer, learn from it.
 *
 * Pure with respect to I/O: no disk or network waits here. Durable writes go through
 * write-behind sinks (blocks, events) supplied by the composition root.
 */
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { EventSink, EventSeverity, EventType } from './events.js';
import type { Allowlist } from './guard/allowlist.js';
import type { AuthFailureTracker } from './guard/auth-failures.js';
import { isAuthFailure } from './guard/auth-failures.js';
import type { Block, BlockSource } from './guard/block.js';
import type { Blocklist } from './guard/blocklist.js';
import type { FloodDetector } from './guard/flood.js';
import type { ScannerGuard } from './guard/signatures.js';
import type { ThreatBoard, ThreatSignal } from './guard/threat-score.js';
import type { Metrics } from './observability/metrics.js';
import { methodLabel } from './observability/metrics.js';
import type { SipRequestView } from './request.js';
import type { ForwardOutcome, ForwardTarget, ForwardVerdict, Verdict, VerdictCause } from './verdict.js';

/** How blocked sources and scanners are answered, and how long automatic blocks last. */
export interface EdgePolicy {
  /** reject: answer with status/reason; silent: send nothing. */
  readonly blockedAction: 'reject' | 'silent';
  readonly blockedStatus: number;
  readonly blockedReason: string;
  readonly floodBlockMs: number;
  readonly scannerBlockMs: number;
  readonly authFailureBlockMs: number;
  /** Where everything that is not decided otherwise goes. */
  readonly pbxTarget: ForwardTarget;
}

/**
 * A stage that may take over a new INVITE (Do-Not-Disturb, queue routing).
 * Stages run in order after the security guards; the first non-null verdict wins.
 */
export interface CallStage {
  readonly name: string;
  decideInvite(view: SipRequestView, now: number): Verdict | null;
  /** Called with the final outcome of a verdict this stage returned. */
  observe?(view: SipRequestView, verdict: ForwardVerdict, outcome: ForwardOutcome): void;
  /** A proxied call ended. */
  callEnded?(callId: string, at: number): void;
}

/** Learns from final answers to forwarded requests (e.g. agent registrations for routing). */
export interface OutcomeObserver {
  observe(view: SipRequestView, verdict: ForwardVerdict, outcome: ForwardOutcome): void;
  callEnded?(callId: string, at: number): void;
}

export interface EdgeGuards {
  readonly allowlist: Allowlist;
  readonly blocklist: Blocklist;
  readonly flood: FloodDetector | null;
  readonly scanners: ScannerGuard | null;
  readonly authFailures: AuthFailureTracker | null;
  readonly threat: ThreatBoard;
}

export interface EdgeDeps {
  readonly clock: Clock;
  readonly guards: EdgeGuards;
  readonly events: EventSink;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly policy: EdgePolicy;
  readonly stages?: readonly CallStage[];
  readonly observers?: readonly OutcomeObserver[];
}

export class Edge {
  private deps: EdgeDeps;
  private readonly stagesByVerdict = new WeakMap<Verdict, CallStage>();

  constructor(deps: EdgeDeps) {
    this.deps = deps;
  }

  /** Swap guards, policy or stages (config reload) without losing the objects' state. */
  reconfigure(patch: Partial<Pick<EdgeDeps, 'guards' | 'policy' | 'stages' | 'observers'>>): void {
    this.deps = { ...this.deps, ...patch };
  }

  get policy(): EdgePolicy {
    return this.deps.policy;
  }

  decide(view: SipRequestView): Verdict {
    const started = process.hrtime.bigint();
    let verdict: Verdict;
    try {
      verdict = this.evaluate(view);
    } catch (err) {
      // A bug in a guard must never take SIP down: fail open to the PBX, loudly.
      this.deps.logger.error({ err, method: view.method, ip: view.sourceIp }, 'decision failed; forwarding to the PBX');
      verdict = this.forwardToPbx();
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { metrics } = this.deps;
    metrics.decisionDuration.observe(seconds);
    metrics.requestsTotal.inc({ method: methodLabel(view.method), verdict: verdict.cause });
    return verdict;
  }

  private evaluate(view: SipRequestView): Verdict {
    const { guards } = this.deps;
    const now = view.receivedAt;
    const ip = view.sourceIp;
    const trusted = guards.allowlist.isTrusted(ip);

    if (!trusted) {
      const block = guards.blocklist.find(ip, now);
      if (block) return this.blockedVerdict('blocked');

      if (guards.flood) {
        const flood = guards.flood.hit(ip, view.method, now);
        if (flood.exceeded) {
          this.deps.metrics.floodDetectionsTotal.inc();
          const score = this.note(ip, 'flood', now);
          this.emit('flood', 'high', view, {
            count: flood.count,
            limit: flood.limit.maxRequests,
            windowMs: flood.limit.windowMs,
            scope: flood.scope,
            threatScore: score,
          });
          this.blockSource(ip, 'flood', `more than ${flood.limit.maxRequests} ${flood.scope === 'all' ? '' : `${flood.scope} `}requests in ${flood.limit.windowMs} ms`, this.deps.policy.floodBlockMs, now, view);
          return this.blockedVerdict('flood');
        }
      }

      if (guards.scanners) {
        const hit = guards.scanners.check(view, now);
        if (hit) {
          this.deps.metrics.scannerHitsTotal.inc({ rule: hit.rule.name });
          const score = this.note(ip, 'scanner', now);
          this.emit('scanner', 'high', view, {
            rule: hit.rule.name,
            header: hit.rule.header,
            userAgent: view.userAgent,
            matches: hit.matches,
            threatScore: score,
          });
          if (hit.shouldBlock) {
            this.blockSource(ip, 'scanner', `scanner signature "${hit.rule.name}"`, this.deps.policy.scannerBlockMs, now, view);
          }
          return this.blockedVerdict('scanner');
        }
      }
    }

    if (view.method === 'INVITE' && !view.inDialog) {
      for (const stage of this.deps.stages ?? []) {
        const verdict = stage.decideInvite(view, now);
        if (verdict) {
          this.stagesByVerdict.set(verdict, stage);
          return verdict;
        }
      }
    }
    // In-dialog requests from trusted networks (the PBX itself) follow their Request-URI back to
    // the phone; from anywhere else they go to the PBX, which owns the dialogs. Never an open relay.
    if (view.inDialog && trusted) return inDialogForward;
    return this.forwardToPbx();
  }

  /** Learn from the final answer to a forwarded request. */
  observe(view: SipRequestView, verdict: ForwardVerdict, outcome: ForwardOutcome): void {
    try {
      this.learn(view, verdict, outcome);
    } catch (err) {
      this.deps.logger.error({ err, method: view.method, ip: view.sourceIp }, 'failed to learn from a final response');
    }
  }

  /** A proxied call ended: stages and observers that track calls (queue agents in a call) learn it. */
  callEnded(callId: string, at: number): void {
    try {
      for (const stage of this.deps.stages ?? []) stage.callEnded?.(callId, at);
      for (const observer of this.deps.observers ?? []) observer.callEnded?.(callId, at);
    } catch (err) {
      this.deps.logger.error({ err, callId }, 'failed to learn from the end of a call');
    }
  }

  private learn(view: SipRequestView, verdict: ForwardVerdict, outcome: ForwardOutcome): void {
    const { metrics, guards } = this.deps;
    const status = outcome.finalStatus;
    metrics.proxiedResponsesTotal.inc({ method: methodLabel(view.method), class: statusClass(status) });

    const now = outcome.completedAt;
    const ip = view.sourceIp;
    if (guards.authFailures && isAuthFailure(status, view.credentials !== null)) {
      this.recordAuthFailure(view, status, now);
    } else if (guards.authFailures && view.method === 'REGISTER' && status >= 200 && status < 300) {
      guards.authFailures.recordSuccess(ip, now);
    }

    const stage = this.stagesByVerdict.get(verdict);
    stage?.observe?.(view, verdict, outcome);
    for (const observer of this.deps.observers ?? []) observer.observe(view, verdict, outcome);
  }

  private recordAuthFailure(view: SipRequestView, status: number, now: number): void {
    const { guards, metrics } = this.deps;
    const tracker = guards.authFailures;
    if (!tracker) return;
    const ip = view.sourceIp;
    const username = view.credentials?.username ?? view.from.uri?.user ?? null;
    const result = tracker.recordFailure(ip, username, now);
    metrics.authFailuresTotal.inc();
    const score = this.note(ip, 'auth-failure', now);
    this.emit('auth-failure', 'low', view, { status, failures: result.failures, distinctUsernames: result.distinctUsernames, threatScore: score }, username);

    if (result.distributed) {
      metrics.distributedAuthFailuresTotal.inc();
      this.emit('distributed-auth-failures', 'high', view, { username: result.distributed.username, sources: result.distributed.sources }, result.distributed.username);
      this.deps.logger.warn({ username: result.distributed.username, sources: result.distributed.sources }, 'one username is failing authentication from many sources');
    }
    if (guards.allowlist.isTrusted(ip)) return;
    if (result.enumeration) {
      this.emit('enumeration', 'high', view, { distinctUsernames: result.distinctUsernames, threatScore: score }, username);
      this.blockSource(ip, 'enumeration', `authentication failures for ${result.distinctUsernames} distinct usernames`, this.deps.policy.authFailureBlockMs, now, view);
    } else if (result.thresholdReached) {
      this.emit('auth-failure-threshold', 'high', view, { failures: result.failures, threatScore: score }, username);
      this.blockSource(ip, 'auth-failures', `${result.failures} authentication failures`, this.deps.policy.authFailureBlockMs, now, view);
    }
  }

  /** Block a source automatically. Trusted networks and the PBX are never blocked. */
  private blockSource(ip: string, source: BlockSource, reason: string, durationMs: number, now: number, view: SipRequestView | EventOrigin): Block | null {
    const { guards, metrics, logger } = this.deps;
    if (guards.allowlist.isTrusted(ip)) return null;
    if (guards.blocklist.find(ip, now)) return null;
    const block = guards.blocklist.block({ target: ip, source, reason, durationMs }, now);
    metrics.blocksTotal.inc({ source });
    const score = this.note(ip, 'block', now);
    const details = {
      source,
      reason,
      expiresAt: block.expiresAt === null ? null : new Date(block.expiresAt).toISOString(),
      offence: block.offence,
      threatScore: score,
    };
    this.emit('block', 'high', view, details);
    logger.warn({ ip, ...details }, 'source blocked');
    return block;
  }

  private note(ip: string, signal: ThreatSignal, now: number): number {
    this.deps.guards.threat.note(ip, signal, now);
    return this.deps.guards.threat.score(ip, now).score;
  }

  private emit(type: EventType, severity: EventSeverity, from: SipRequestView | EventOrigin, details: Record<string, unknown>, username?: string | null): void {
    const origin = 'sourceIp' in from ? originOf(from) : from;
    this.deps.metrics.eventsTotal.inc({ type });
    this.deps.events.record({ type, severity, ip: origin.ip, username: username ?? origin.username, method: origin.method, details, at: origin.at });
    if (type !== 'auth-failure') {
      this.deps.logger.info({ event: type, severity, ip: origin.ip, method: origin.method, ...details }, `security event: ${type}`);
    }
  }

  /**
   * An authentication failure seen outside SIP (a wrong MFA code entered at the PBX portal by a user
   * at `ip`): counted with the SIP failures of that address, and blocking it at the threshold.
   */
  reportAuthFailure(ip: string, username: string | null, now: number, what: string): void {
    const { guards, metrics } = this.deps;
    if (!guards.authFailures) return;
    const result = guards.authFailures.recordFailure(ip, username, now);
    metrics.authFailuresTotal.inc();
    const origin: EventOrigin = { ip, method: null, at: now, username };
    const score = this.note(ip, 'auth-failure', now);
    this.emit('auth-failure', 'low', origin, { what, failures: result.failures, threatScore: score });
    if (result.thresholdReached && !guards.allowlist.isTrusted(ip)) {
      this.emit('auth-failure-threshold', 'high', origin, { failures: result.failures, threatScore: score });
      this.blockSource(ip, 'auth-failures', `${result.failures} authentication failures`, this.deps.policy.authFailureBlockMs, now, origin);
    }
  }

  private blockedVerdict(cause: VerdictCause): Verdict {
    const { policy } = this.deps;
    if (policy.blockedAction === 'silent') return { kind: 'drop', cause };
    return { kind: 'reject', cause, status: policy.blockedStatus, reason: policy.blockedReason, headers: {} };
  }

  private forwardToPbx(): ForwardVerdict {
    return { kind: 'forward', cause: 'proxy', targets: [this.deps.policy.pbxTarget] };
  }
}

/** Who an event is about, when it does not come from a SIP request. */
export interface EventOrigin {
  readonly ip: string;
  readonly method: string | null;
  readonly at: number;
  readonly username: string | null;
}

function originOf(view: SipRequestView): EventOrigin {
  return { ip: view.sourceIp, method: view.method, at: view.receivedAt, username: view.credentials?.username ?? view.from.uri?.user ?? null };
}

/** In-dialog requests follow their Request-URI and Route set: no targets means "as addressed". */
const inDialogForward: ForwardVerdict = Object.freeze({ kind: 'forward', cause: 'proxy', targets: Object.freeze([]) as readonly ForwardTarget[] });

export function statusClass(status: number): string {
  if (status >= 100 && status < 700) return `${Math.floor(status / 100)}xx`;
  return 'other';
}
