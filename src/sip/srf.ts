/**
 * The typed face of drachtio-srf. Its shipped typings are incomplete (no register/options
 * handlers, proxyRequest typed as void, source_port as string), so this module declares what
 * sipwarden uses, as drachtio-srf 5.0.x behaves, and casts once.
 */
import SrfModule from 'drachtio-srf';

export interface DrachtioRequest {
  readonly method: string;
  readonly uri: string;
  readonly source_address: string;
  readonly source_port: number;
  readonly protocol: string;
  /** Every header as received, by its name as received. */
  readonly headers: Readonly<Record<string, string>>;
  get(name: string): string | undefined;
  has(name: string): boolean;
  on(event: 'cancel', listener: () => void): void;
}

export interface DrachtioResponse {
  readonly finalResponseSent: boolean;
  send(status: number, reason?: string, opts?: { headers?: Record<string, string> }): void;
}

export interface ProxyOptions {
  recordRoute?: boolean;
  remainInDialog?: boolean;
  followRedirects?: boolean;
  forking?: 'simultaneous' | 'serial';
  provisionalTimeout?: string;
  finalTimeout?: string;
}

export interface ProxyResult {
  readonly connected: boolean;
  /** Absent when no target answered at all. */
  readonly finalStatus?: number;
  readonly responses: ReadonlyArray<{ readonly address: string; readonly port: number; readonly msgs: ReadonlyArray<{ readonly status: number }> }>;
}

export type RequestHandlerFn = (req: DrachtioRequest, res: DrachtioResponse) => void;

export interface DrachtioSrf {
  connect(opts: {
    host: string;
    port: number;
    secret: string;
    reconnect?: { retryMaxDelay?: number; maxAttempts?: number };
    enablePing?: boolean;
    pingInterval?: number;
  }): void;
  listen(opts: { host?: string; port: number; secret: string }): void;
  disconnect(): void;
  /** The drachtio agent; close() stops listening in outbound mode. */
  readonly app: { close(): void };
  on(event: 'connect', listener: (err: Error | null, hostport: string) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'reconnecting', listener: (info: { delay: number; attempt: number }) => void): this;
  on(event: 'close' | 'listening', listener: () => void): this;
  /** A call proxied by drachtio-server ended (needs <cdrs>true</cdrs>); installing it subscribes the app. */
  on(event: 'cdr:stop', listener: (source: string, time: string, reason: string, message: { get(name: string): string | undefined }) => void): this;
  removeAllListeners(): this;
  proxyRequest(req: DrachtioRequest, destination: string[] | undefined, opts: ProxyOptions): Promise<ProxyResult>;
  /** Method handlers: installing one subscribes the app to that method on drachtio-server. */
  [method: string]: unknown;
}

/** The SIP methods drachtio-srf has a handler installer for (srf.register, srf.invite, ...). */
export const HANDLED_METHODS = ['INVITE', 'REGISTER', 'OPTIONS', 'SUBSCRIBE', 'NOTIFY', 'MESSAGE', 'INFO', 'REFER', 'PUBLISH', 'UPDATE', 'BYE', 'PRACK'] as const;

export function createSrf(): DrachtioSrf {
  const Srf = SrfModule as unknown as new () => DrachtioSrf;
  return new Srf();
}

/** Install a handler for one method (srf.invite(fn), srf.register(fn), ...). */
export function onMethod(srf: DrachtioSrf, method: (typeof HANDLED_METHODS)[number], handler: RequestHandlerFn): void {
  const install = srf[method.toLowerCase()];
  if (typeof install !== 'function') throw new Error(`drachtio-srf has no handler for ${method}`);
  (install as (fn: RequestHandlerFn) => void).call(srf, handler);
}

interface AgentInternals {
  readonly agent?: { readonly mapServer?: Map<unknown, { readonly pendingNetworkInvites?: Map<string, unknown> }> };
  readonly socket?: unknown;
}

/**
 * drachtio-srf remembers every incoming INVITE until the app sends it a final response. An INVITE
 * that is dropped on purpose (silent blocking) would stay there until the connection closes, so
 * a scanner could grow that map without end: forget it explicitly. Guarded, because it reaches
 * into srf internals (checked against drachtio-srf 5.0.29, lib/drachtio-agent.js).
 */
export function forgetUnansweredInvite(req: DrachtioRequest): void {
  if (req.method !== 'INVITE') return;
  const internals = req as unknown as AgentInternals;
  const callId = req.get('call-id');
  if (callId === undefined) return;
  internals.agent?.mapServer?.get(internals.socket)?.pendingNetworkInvites?.delete(callId);
}
