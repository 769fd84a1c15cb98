/** Security events: every decision that matters leaves one. */
export type EventSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export type EventType =
  | 'block'
  | 'unblock'
  | 'block-expired'
  | 'scanner'
  | 'flood'
  | 'auth-failure'
  | 'auth-failure-threshold'
  | 'enumeration'
  | 'distributed-auth-failures'
  | 'blocked-request'
  | 'dnd'
  | 'queue-routed'
  | 'queue-unavailable'
  | 'admin-auth-failure'
  | 'mfa-enroll'
  | 'mfa-activate'
  | 'mfa-success'
  | 'mfa-failure'
  | 'mfa-lockout'
  | 'mfa-disable'
  | 'config-reload';

export interface SecurityEvent {
  readonly type: EventType;
  readonly severity: EventSeverity;
  readonly ip: string | null;
  readonly username: string | null;
  readonly method: string | null;
  /** Free-form structured details, stored as JSON. */
  readonly details: Readonly<Record<string, unknown>>;
  /** Clock ms. */
  readonly at: number;
}

/** Where the core sends events. Must not block: implementations buffer and write behind. */
export interface EventSink {
  record(event: SecurityEvent): void;
}
