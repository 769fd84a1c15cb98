/**
 * Prometheus metrics (prom-client), on a registry of our own so tests and several instances
 * never share state. Names follow Prometheus conventions: sipwarden_*_total for counters,
 * _seconds for durations; labels have small, fixed value sets.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** SIP methods we label by name; anything else is "other", so a scanner cannot explode the label set. */
const KNOWN_METHODS = new Set([
  'REGISTER', 'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'SUBSCRIBE', 'NOTIFY', 'MESSAGE', 'INFO', 'REFER', 'PUBLISH', 'UPDATE', 'PRACK',
]);

export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'other';
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'sipwarden_' });
  const registers = [registry];
  return {
    registry,
    requestsTotal: new Counter({
      name: 'sipwarden_requests_total',
      help: 'New SIP requests decided, by method and verdict (proxy, blocked, scanner, flood, dnd, queue, ...)',
      labelNames: ['method', 'verdict'] as const,
      registers,
    }),
    decisionDuration: new Histogram({
      name: 'sipwarden_decision_duration_seconds',
      help: 'Time to decide one request (guards, DND, routing), in seconds',
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers,
    }),
    proxiedResponsesTotal: new Counter({
      name: 'sipwarden_proxied_responses_total',
      help: 'Final responses to proxied requests, by method and status class',
      labelNames: ['method', 'class'] as const,
      registers,
    }),
    blocksActive: new Gauge({
      name: 'sipwarden_blocks_active',
      help: 'Blocks in force now, by source (manual, flood, scanner, auth-failures, enumeration, admin-auth)',
      labelNames: ['source'] as const,
      registers,
    }),
    blocksTotal: new Counter({
      name: 'sipwarden_blocks_total',
      help: 'Blocks created, by source',
      labelNames: ['source'] as const,
      registers,
    }),
    authFailuresTotal: new Counter({
      name: 'sipwarden_auth_failures_total',
      help: 'Authentication failures seen in PBX answers (403, or 401/407 to a request with credentials)',
      registers,
    }),
    distributedAuthFailuresTotal: new Counter({
      name: 'sipwarden_distributed_auth_failures_total',
      help: 'Times one username failed authentication from many sources within the window',
      registers,
    }),
    floodDetectionsTotal: new Counter({ name: 'sipwarden_flood_detections_total', help: 'Sources found flooding', registers }),
    scannerHitsTotal: new Counter({
      name: 'sipwarden_scanner_hits_total',
      help: 'Requests matching a scanner signature, by rule',
      labelNames: ['rule'] as const,
      registers,
    }),
    eventsTotal: new Counter({
      name: 'sipwarden_security_events_total',
      help: 'Security events recorded, by type',
      labelNames: ['type'] as const,
      registers,
    }),
    eventsDroppedTotal: new Counter({
      name: 'sipwarden_security_events_dropped_total',
      help: 'Security events dropped because the database could not keep up',
      registers,
    }),
    topOffenders: new Gauge({
      name: 'sipwarden_top_offender_events',
      help: 'Security events in the last hour of the 10 most active offending addresses (refreshed at each scrape; at most 10 series)',
      labelNames: ['ip'] as const,
      registers,
    }),
    drachtioConnected: new Gauge({
      name: 'sipwarden_drachtio_connected',
      help: '1 when connected to drachtio-server, 0 otherwise',
      registers,
    }),
    sipHandlerErrorsTotal: new Counter({
      name: 'sipwarden_sip_handler_errors_total',
      help: 'Requests that could not be parsed or carried out (answered 400/500 or dropped)',
      labelNames: ['stage'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
