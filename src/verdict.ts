/**
 * What the edge decided for one request, and what happened when it was carried out.
 */

/** Why the verdict was reached; also the `verdict` label of sipwarden_requests_total. */
export type VerdictCause =
  | 'blocked'
  | 'scanner'
  | 'flood'
  | 'dnd'
  | 'queue'
  | 'queue-unavailable'
  | 'proxy'
  | 'invalid';

export interface RejectVerdict {
  readonly kind: 'reject';
  readonly cause: VerdictCause;
  readonly status: number;
  readonly reason: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** One place to send a request: a SIP URI or host[:port][;transport=x]. */
export interface ForwardTarget {
  readonly uri: string;
  /** Who this target is, when it is a queue agent (extension). */
  readonly agent?: string;
}

export interface ForwardVerdict {
  readonly kind: 'forward';
  readonly cause: VerdictCause;
  /** Tried one after another (serial forking) when more than one. */
  readonly targets: readonly ForwardTarget[];
  /** Per-target ring timeout in seconds, for serial forking. */
  readonly ringTimeoutSeconds?: number;
  /** The queue this call is for, when cause is "queue". */
  readonly queue?: string;
}

export interface DropVerdict {
  readonly kind: 'drop';
  readonly cause: VerdictCause;
}

export type Verdict = RejectVerdict | ForwardVerdict | DropVerdict;

/** What one target answered, for serial forks. */
export interface TargetOutcome {
  readonly target: ForwardTarget;
  /** Final status from this target; 408 when it timed out; null when never tried. */
  readonly status: number | null;
}

/** The result of carrying out a forward verdict. */
export interface ForwardOutcome {
  /** The final status the caller got (from the PBX or an agent, or a local error status). */
  readonly finalStatus: number;
  readonly connected: boolean;
  readonly attempts: readonly TargetOutcome[];
  /** When the final answer arrived (clock ms). */
  readonly completedAt: number;
}
