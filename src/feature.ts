/**
 * A feature beyond the security guards (Do-Not-Disturb, queue routing, MFA) plugs into the
 * daemon through this one shape: stages for new INVITEs, observers of final answers, admin API
 * routes, and a life cycle. app.ts builds the features and wires them; nothing else knows them.
 */
import type { Logger } from 'pino';
import type { ApiFeature } from './admin/api/deps.js';
import type { Clock } from './clock.js';
import type { Config } from './config/index.js';
import type { CallStage, OutcomeObserver } from './edge.js';
import type { EventSink } from './events.js';
import type { Metrics } from './observability/metrics.js';
import type { Database } from './store/database.js';

export interface FeatureContext {
  readonly config: Config;
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Register feature metrics on metrics.registry. */
  readonly metrics: Metrics;
  readonly events: EventSink;
}

export interface Feature {
  readonly name: string;
  /** Run on new INVITEs after the security guards, in the order features are listed. */
  readonly stages?: readonly CallStage[];
  readonly observers?: readonly OutcomeObserver[];
  readonly api?: ApiFeature;
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
  /** Apply a new, already validated config (SIGHUP) without losing state. */
  reload?(config: Config): void;
}
