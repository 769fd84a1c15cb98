/**
 * The SIP front end: keeps the drachtio connection up, turns every new request into a view,
 * asks the edge for a verdict, carries it out (answer, proxy, or stay silent) and reports the
 * final answer of a proxied request back. The only module that touches drachtio-srf objects.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { SipRequestView } from '../request.js';
import type { ForwardOutcome, ForwardVerdict, TargetOutcome, Verdict } from '../verdict.js';
import { buildRequestView } from './request-view.js';
import { dialledUser, withDialledUser } from './destination.js';
import { createSrf, forgetUnansweredInvite, HANDLED_METHODS, onMethod, type DrachtioRequest, type DrachtioResponse, type DrachtioSrf, type ProxyOptions, type ProxyResult } from './srf.js';

/** What decides (the edge). */
export interface RequestHandler {
  decide(view: SipRequestView): Verdict;
  observe(view: SipRequestView, verdict: ForwardVerdict, outcome: ForwardOutcome): void;
  /** A proxied call ended (drachtio-server's CDR stop: in-dialog BYEs do not reach the app). */
  callEnded(callId: string, at: number): void;
}

export type DrachtioConnection =
  | {
      readonly mode: 'inbound';
      readonly host: string;
      readonly port: number;
      readonly secret: string;
      readonly reconnectMaxDelayMs: number;
    }
  | { readonly mode: 'outbound'; readonly listenHost: string; readonly listenPort: number; readonly secret: string };

export interface SipFrontEndOptions {
  readonly connection: DrachtioConnection;
  readonly recordRoute: boolean;
  /** How long to wait for a final answer from one target (the PBX or a queue agent). */
  readonly finalTimeoutMs: number;
  readonly handler: RequestHandler;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly onConnectionChange?: (connected: boolean) => void;
  readonly onHandlerError?: (stage: 'parse' | 'execute') => void;
}

export class SipFrontEnd {
  private srf: DrachtioSrf | null = null;
  private isConnected = false;
  private accepting = true;
  private readonly inFlight = new Set<Promise<unknown>>();
  constructor(private readonly options: SipFrontEndOptions) {}

  get connected(): boolean {
    return this.isConnected;
  }

  /** Proxied transactions still waiting for their final answer. */
  get pending(): number {
    return this.inFlight.size;
  }

  start(): void {
    const { connection, logger } = this.options;
    const srf = createSrf();
    this.srf = srf;
    // Without an error listener, a refused connection would crash the process.
    srf.on('error', (err) => {
      if (this.isConnected) logger.warn({ err: err.message }, 'drachtio connection error');
      else logger.debug({ err: err.message }, 'drachtio connection attempt failed');
    });
    srf.on('connect', (err, hostport) => {
      if (err) {
        logger.error({ err: err.message }, 'drachtio-server refused the connection (check drachtio.secret)');
        return;
      }
      this.setConnected(true);
      logger.info({ hostport }, 'connected to drachtio-server');
    });
    srf.on('reconnecting', (info) => {
      if (this.isConnected) logger.warn('lost the drachtio-server connection; reconnecting');
      this.setConnected(false);
      logger.info({ delayMs: info.delay, attempt: info.attempt }, 'waiting for drachtio-server');
    });
    srf.on('close', () => {
      if (this.isConnected) logger.warn('drachtio connection closed');
      this.setConnected(false);
    });

    // A throw in a CDR handler would crash the process (srf rethrows from its socket handler): guard it.
    srf.on('cdr:stop', (_source, _time, reason, message) => {
      try {
        const callId = message.get('call-id');
        if (callId === undefined) return;
        logger.debug({ callId, reason }, 'call ended');
        this.options.handler.callEnded(callId, this.options.clock());
      } catch (err) {
        logger.warn({ err }, 'unusable call-end record from drachtio-server');
      }
    });
    for (const method of HANDLED_METHODS) {
      onMethod(srf, method, (req, res) => this.handle(req, res));
    }

    if (connection.mode === 'inbound') {
      logger.info({ host: connection.host, port: connection.port }, 'connecting to drachtio-server');
      srf.connect({
        host: connection.host,
        port: connection.port,
        secret: connection.secret,
        reconnect: { retryMaxDelay: connection.reconnectMaxDelayMs },
        enablePing: true,
        pingInterval: 10_000,
      });
    } else {
      srf.on('listening', () => logger.info({ host: connection.listenHost, port: connection.listenPort }, 'waiting for drachtio-server to connect (outbound mode)'));
      srf.listen({ host: connection.listenHost, port: connection.listenPort, secret: connection.secret });
    }
  }

  /** Stop taking new requests (answered 503), wait for in-flight transactions up to graceMs, disconnect. */
  async stop(graceMs: number): Promise<void> {
    this.accepting = false;
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
    if (this.inFlight.size > 0) this.options.logger.warn({ pending: this.inFlight.size }, 'stopping with proxied transactions still open');
    const srf = this.srf;
    if (srf) {
      try {
        if (this.options.connection.mode === 'outbound') srf.app.close();
        else srf.disconnect();
      } catch {
        // not connected: disconnect() still marked the connection as closing, so no retry follows
      }
      srf.removeAllListeners();
      // A retry that was already scheduled may still fail once: it must not find an error event unheard.
      srf.on('error', () => {});
    }
    this.srf = null;
    this.setConnected(false);
  }

  private setConnected(connected: boolean): void {
    if (this.isConnected === connected) return;
    this.isConnected = connected;
    this.options.onConnectionChange?.(connected);
  }

  private handle(req: DrachtioRequest, res: DrachtioResponse): void {
    const { logger, clock } = this.options;
    try {
      if (!this.accepting) {
        res.send(503, 'Service Unavailable', { headers: { 'Retry-After': '5' } });
        return;
      }
      const parsed = buildRequestView(req, clock());
      if (!parsed.ok) {
        this.options.onHandlerError?.('parse');
        logger.info({ ip: req.source_address, method: req.method, problem: parsed.problem }, 'malformed request refused');
        res.send(400, 'Bad Request');
        return;
      }
      const view = parsed.view;
      const verdict = this.options.handler.decide(view);
      this.execute(req, res, view, verdict);
    } catch (err) {
      this.options.onHandlerError?.('execute');
      logger.error({ err, ip: req.source_address, method: req.method }, 'request handling failed');
      if (!res.finalResponseSent) {
        try {
          res.send(500, 'Server Internal Error');
        } catch {
          // the connection is gone; nothing to answer on
        }
      }
    }
  }

  private execute(req: DrachtioRequest, res: DrachtioResponse, view: SipRequestView, verdict: Verdict): void {
    switch (verdict.kind) {
      case 'reject':
        res.send(verdict.status, verdict.reason, { headers: { ...verdict.headers } });
        return;
      case 'drop':
        // Send nothing: the client sees a dead address. drachtio-server ends the transaction on its own timer.
        forgetUnansweredInvite(req);
        return;
      case 'forward':
        this.track(this.forward(req, view, verdict));
        return;
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async forward(req: DrachtioRequest, view: SipRequestView, verdict: ForwardVerdict): Promise<void> {
    const srf = this.srf;
    if (!srf) return;
    const { logger, clock } = this.options;
    const timeoutMs = verdict.ringTimeoutSeconds !== undefined ? verdict.ringTimeoutSeconds * 1000 : this.options.finalTimeoutMs;
    // proxyRequest mutates both the options and the destination list: always fresh ones.
    const user = dialledUser(String(req.uri ?? ''));
    const destinations = verdict.targets.length > 0 ? verdict.targets.map((t) => withDialledUser(t.uri, t.agent ?? user)) : undefined;
    const options: ProxyOptions = {
      recordRoute: this.options.recordRoute,
      forking: 'serial',
      finalTimeout: `${Math.max(1, Math.round(timeoutMs))}ms`,
    };
    let result: ProxyResult;
    try {
      result = await srf.proxyRequest(req, destinations, options);
    } catch (err) {
      logger.warn({ err, ip: view.sourceIp, method: view.method, targets: destinations }, 'proxying failed');
      this.options.handler.observe(view, verdict, { finalStatus: 500, connected: false, attempts: [], completedAt: clock() });
      return;
    }
    const finalStatus = result.finalStatus ?? 408;
    const outcome: ForwardOutcome = {
      finalStatus,
      connected: result.connected,
      attempts: attemptsOf(verdict, result),
      completedAt: clock(),
    };
    this.options.handler.observe(view, verdict, outcome);
  }
}

/**
 * Per-target outcomes of a serial fork. drachtio reports responses grouped by the address that
 * sent them, in order; targets after the last group were never tried, and a target that sent
 * nothing before the next one was tried timed out (408).
 */
function attemptsOf(verdict: ForwardVerdict, result: ProxyResult): TargetOutcome[] {
  const groups = result.responses.map((group) => [...group.msgs].reverse().find((m) => m.status >= 200)?.status ?? 408);
  if (verdict.targets.length <= 1) {
    return verdict.targets.map((target) => ({ target, status: result.finalStatus ?? groups[0] ?? 408 }));
  }
  const tried = Math.max(groups.length, 1);
  return verdict.targets.map((target, i) => ({ target, status: i < tried ? (groups[i] ?? 408) : null }));
}
