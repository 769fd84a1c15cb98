/**
 * What the edge has learned about each agent's reachability and load, and whether it can take a queue call now.
 *
 * Events (all take the instant in ms; nothing reads the wall clock, nothing schedules timers — every time-bound
 * state is an "until" instant compared with the `now` of each query):
 *   registered / unregistered  — from the 2xx to a REGISTER (one extension may have several contacts);
 *   ringStarted / ringEnded    — optional reservation while a queue call rings the agent, so two calls arriving
 *                                together do not both pick the same agent (counts against the call limit);
 *   callStarted / callEnded    — the agent answered / the call ended (then wrap-up for wrapUpSeconds);
 *   ringFailed                 — busy / rejected / no-answer / unreachable: held back for the matching delay
 *                                (like FreeSWITCH mod_callcenter busy_delay_time, reject_delay_time,
 *                                no_answer_delay_time); maxNoAnswer consecutive no-answers pause the agent
 *                                (mod_callcenter max_no_answer); answering resets the count;
 *   pause / unpause            — manual.
 * DND is not kept here: it comes from the DND service through an `isInDnd(extension, now)` function.
 *
 * Fairness statistics live here too: lastCallEndedAt, callsTaken and the round-robin position of each queue.
 * exportState()/importState() let persistence keep all of it across restarts.
 */
import { FieldReader } from './validation.js';
import { RoutingError, invalid, isIdentifier } from './types.js';

/** Why an agent cannot take a queue call now, in the order they are reported. */
export type AvailabilityReason =
  | 'not-registered'
  | 'registration-expired'
  | 'dnd'
  | 'paused'
  | 'in-call'
  | 'ringing'
  | 'wrap-up'
  | 'held-back';

/** How a ring attempt failed. unreachable: the agent's device or the PBX could not be reached (404, 5xx...). */
export type RingFailure = 'busy' | 'rejected' | 'no-answer' | 'unreachable';

export const RING_FAILURES: readonly RingFailure[] = ['busy', 'rejected', 'no-answer', 'unreachable'];

/** Per-agent behaviour; PresenceOptions gives the defaults, setAgentSettings() overrides per agent. */
export interface AgentSettings {
  /** Simultaneous calls (answered + ringing reservations) the agent may have. Default 1. */
  readonly callLimit: number;
  /** After a call ends the agent gets no queue call for this long. Default 10. */
  readonly wrapUpSeconds: number;
  /** Held back after answering busy (486/600). Default 60. */
  readonly busyDelaySeconds: number;
  /** Held back after declining (603 and other refusals). Default 10. */
  readonly rejectDelaySeconds: number;
  /** Held back after not answering (ring timeout, 408/480/487). Default 60. */
  readonly noAnswerDelaySeconds: number;
  /** Held back after the device was unreachable (404/410/5xx...). Default 60. */
  readonly unreachableDelaySeconds: number;
  /** Consecutive no-answers that pause the agent; 0 = never. Default 3. */
  readonly maxNoAnswer: number;
}

/** Defaults follow the agent in FreeSWITCH's sample callcenter.conf.xml (wrap-up 10, reject 10, busy 60, no-answer 60, max no-answer 3). */
export const DEFAULT_AGENT_SETTINGS: AgentSettings = {
  callLimit: 1,
  wrapUpSeconds: 10,
  busyDelaySeconds: 60,
  rejectDelaySeconds: 10,
  noAnswerDelaySeconds: 60,
  unreachableDelaySeconds: 60,
  maxNoAnswer: 3,
};

export interface PresenceOptions extends Partial<AgentSettings> {
  /**
   * Default true: an agent must have a live registration seen at the edge. Set false when agents register
   * to the PBX by a path that does not cross sipwarden.
   */
  readonly requireRegistration?: boolean;
  /**
   * A call still "active" after this long is assumed over (its end was missed, e.g. a lost BYE), so the agent
   * is not stuck in-call forever. Default 14400 (4 h).
   */
  readonly maxCallSeconds?: number;
}

export interface PauseState {
  readonly by: 'manual' | 'max-no-answer';
  readonly since: number;
  readonly note?: string;
}

/** The compact view the ranker needs for every agent on every call. */
export interface PresenceStatus {
  /** Empty when the agent can take a call (DND aside, see availability()). */
  readonly reasons: readonly AvailabilityReason[];
  /** The contact of the live binding that expires last, null when none. */
  readonly contact: string | null;
  readonly activeCalls: number;
  readonly lastCallEndedAt: number | null;
  readonly callsTaken: number;
}

/** Everything about one agent, for the admin API and tests. */
export interface Availability extends PresenceStatus {
  readonly extension: string;
  readonly available: boolean;
  readonly ringing: number;
  readonly callLimit: number;
  readonly registrationExpiresAt: number | null;
  /** End of wrap-up, when in wrap-up. */
  readonly wrapUpUntil: number | null;
  /** End of the hold-back and the failure that caused it, when held back. */
  readonly heldBackUntil: number | null;
  readonly heldBackFor: RingFailure | null;
  readonly paused: PauseState | null;
  readonly noAnswerCount: number;
  /** When every reason is time-bound (wrap-up, held-back, ringing, in-call excluded): the instant they are all over. */
  readonly availableAt: number | null;
}

export interface RingFailedEffect {
  readonly heldBackUntil: number;
  readonly noAnswerCount: number;
  /** True when this failure paused the agent (maxNoAnswer reached). */
  readonly pausedNow: boolean;
}

/** JSON-able runtime state, for persistence. */
export interface PresenceSnapshot {
  readonly agents: readonly AgentSnapshot[];
  readonly roundRobin: readonly { readonly queue: string; readonly extension: string }[];
}

export interface AgentSnapshot {
  readonly extension: string;
  readonly bindings: readonly { readonly contact: string; readonly expiresAt: number }[];
  readonly calls: readonly { readonly id: string; readonly startedAt: number }[];
  readonly lastCallEndedAt: number | null;
  readonly wrapUpUntil: number;
  readonly heldBackUntil: number;
  readonly heldBackFor: RingFailure | null;
  readonly noAnswerCount: number;
  readonly paused: PauseState | null;
  readonly callsTaken: number;
  readonly settings: Partial<AgentSettings> | null;
}

const MAX_BINDINGS_PER_AGENT = 16;
const SECOND = 1000;

interface AgentState {
  readonly extension: string;
  /** contact → expiresAt (ms). */
  readonly bindings: Map<string, number>;
  /** The binding that expires last (kept up to date by refreshBest; live while bestExpiresAt > now). */
  bestContact: string | null;
  bestExpiresAt: number;
  /** call id → startedAt. */
  readonly calls: Map<string, number>;
  /** offer id → ringing until. */
  readonly offers: Map<string, number>;
  lastCallEndedAt: number | null;
  wrapUpUntil: number;
  heldBackUntil: number;
  heldBackFor: RingFailure | null;
  noAnswerCount: number;
  paused: PauseState | null;
  callsTaken: number;
  settings: Partial<AgentSettings> | null;
  /** A binding was stored and not explicitly removed since (tells "expired" from "never registered" after pruning). */
  everRegistered: boolean;
}

const NO_REASONS: readonly AvailabilityReason[] = Object.freeze([]);

const SETTINGS_FIELDS = [
  'callLimit',
  'wrapUpSeconds',
  'busyDelaySeconds',
  'rejectDelaySeconds',
  'noAnswerDelaySeconds',
  'unreachableDelaySeconds',
  'maxNoAnswer',
] as const satisfies readonly (keyof AgentSettings)[];

const MAX_DELAY_SECONDS = 86_400;

/** Partial AgentSettings from outside (admin API, YAML); throws RoutingError naming the field. */
export function validateAgentSettings(input: unknown): Partial<AgentSettings> {
  const r = new FieldReader(input, SETTINGS_FIELDS);
  const out: { -readonly [K in keyof AgentSettings]?: number } = {};
  const callLimit = r.integer('callLimit', 1, 100);
  if (callLimit !== undefined) out.callLimit = callLimit;
  for (const key of ['wrapUpSeconds', 'busyDelaySeconds', 'rejectDelaySeconds', 'noAnswerDelaySeconds', 'unreachableDelaySeconds'] as const) {
    const v = r.number(key, 0, MAX_DELAY_SECONDS);
    if (v !== undefined) out[key] = v;
  }
  const maxNoAnswer = r.integer('maxNoAnswer', 0, 1000);
  if (maxNoAnswer !== undefined) out.maxNoAnswer = maxNoAnswer;
  r.done();
  return out;
}

function checkExtension(extension: string): void {
  if (!isIdentifier(extension)) throw invalid('extension', 'must be a non-empty string of at most 128 characters without whitespace');
}

function checkInstant(value: number, field: string): void {
  if (!Number.isFinite(value)) throw invalid(field, 'must be a finite number of milliseconds');
}

export class AgentPresence {
  private readonly agents = new Map<string, AgentState>();
  private readonly roundRobin = new Map<string, string>();
  private readonly defaults: AgentSettings;
  readonly requireRegistration: boolean;
  private readonly maxCallMs: number;
  private seq = 0;

  constructor(options: PresenceOptions = {}) {
    const { requireRegistration, maxCallSeconds, ...settings } = options;
    const checked = validateAgentSettings(settings);
    this.defaults = { ...DEFAULT_AGENT_SETTINGS, ...checked };
    this.requireRegistration = requireRegistration ?? true;
    if (maxCallSeconds !== undefined && !(Number.isFinite(maxCallSeconds) && maxCallSeconds > 0)) {
      throw invalid('maxCallSeconds', 'must be a positive number');
    }
    this.maxCallMs = (maxCallSeconds ?? 14_400) * SECOND;
  }

  // ---- settings -------------------------------------------------------------------------------------------

  /** The effective settings of an agent (defaults merged with its overrides). */
  settingsFor(extension: string): AgentSettings {
    const own = this.agents.get(extension)?.settings;
    return own ? { ...this.defaults, ...own } : this.defaults;
  }

  /** Per-agent overrides (validated, throws RoutingError); null removes them. Returns the effective settings. */
  setAgentSettings(extension: string, input: unknown): AgentSettings {
    checkExtension(extension);
    if (input === null) {
      const state = this.agents.get(extension);
      if (state) state.settings = null;
      return this.defaults;
    }
    const settings = validateAgentSettings(input);
    this.state(extension).settings = Object.keys(settings).length > 0 ? settings : null;
    return this.settingsFor(extension);
  }

  /** Only the overrides of an agent, null when it has none. */
  agentSettingsOverrides(extension: string): Partial<AgentSettings> | null {
    return this.agents.get(extension)?.settings ?? null;
  }

  // ---- events ---------------------------------------------------------------------------------------------

  /** A 2xx to a REGISTER: `contact` is bound until `expiresAt` (ms). Re-registering refreshes the binding. */
  registered(extension: string, contact: string, expiresAt: number): void {
    checkExtension(extension);
    if (typeof contact !== 'string' || contact.length === 0 || contact.length > 2048) {
      throw invalid('contact', 'must be a non-empty string of at most 2048 characters');
    }
    checkInstant(expiresAt, 'expiresAt');
    const state = this.state(extension);
    state.bindings.delete(contact);
    state.bindings.set(contact, expiresAt);
    state.everRegistered = true;
    if (state.bindings.size > MAX_BINDINGS_PER_AGENT) {
      let oldest: string | null = null;
      let oldestExpiry = Infinity;
      for (const [c, e] of state.bindings) {
        if (e < oldestExpiry) {
          oldest = c;
          oldestExpiry = e;
        }
      }
      if (oldest !== null) state.bindings.delete(oldest);
    }
    refreshBest(state);
  }

  /** A de-registration (Expires: 0) of one contact, or of all of them when `contact` is omitted. */
  unregistered(extension: string, contact?: string): void {
    const state = this.agents.get(extension);
    if (!state) return;
    if (contact === undefined) state.bindings.clear();
    else state.bindings.delete(contact);
    if (state.bindings.size === 0) state.everRegistered = false;
    refreshBest(state);
  }

  /**
   * A queue call starts ringing the agent: reserve one of its call slots until `until` (ms) or until
   * ringEnded / callStarted / ringFailed. `offerId` (e.g. the Call-ID) identifies the reservation.
   */
  ringStarted(extension: string, now: number, until: number, offerId?: string): void {
    checkExtension(extension);
    checkInstant(now, 'now');
    checkInstant(until, 'until');
    const state = this.state(extension);
    const id = offerId ?? `offer-${++this.seq}`;
    state.offers.delete(id);
    state.offers.set(id, until);
  }

  /** Release a ringing reservation (the given one; without an id, the oldest). */
  ringEnded(extension: string, offerId?: string): void {
    const state = this.agents.get(extension);
    if (state) takeOne(state.offers, offerId, false);
  }

  /** The agent answered a call: counts as taken, resets the no-answer count and any hold-back. */
  callStarted(extension: string, now: number, callId?: string): void {
    checkExtension(extension);
    checkInstant(now, 'now');
    const state = this.state(extension);
    takeOne(state.offers, callId, false);
    const id = callId ?? `call-${++this.seq}`;
    state.calls.delete(id);
    state.calls.set(id, now);
    state.callsTaken += 1;
    state.noAnswerCount = 0;
    state.heldBackUntil = 0;
    state.heldBackFor = null;
  }

  /** A call of the agent ended (the given one, else its oldest): wrap-up starts. */
  callEnded(extension: string, now: number, callId?: string): void {
    checkExtension(extension);
    checkInstant(now, 'now');
    const state = this.state(extension);
    takeOne(state.calls, callId, true);
    state.lastCallEndedAt = Math.max(state.lastCallEndedAt ?? -Infinity, now);
    const wrapUpMs = this.settingsFor(extension).wrapUpSeconds * SECOND;
    state.wrapUpUntil = Math.max(state.wrapUpUntil, now + wrapUpMs);
  }

  /** A ring attempt failed: hold the agent back; count no-answers and pause at maxNoAnswer. */
  ringFailed(extension: string, kind: RingFailure, now: number, offerId?: string): RingFailedEffect {
    checkExtension(extension);
    checkInstant(now, 'now');
    if (!RING_FAILURES.includes(kind)) throw invalid('kind', `must be one of ${RING_FAILURES.join(', ')}`);
    const state = this.state(extension);
    const settings = this.settingsFor(extension);
    takeOne(state.offers, offerId, false);
    const delaySeconds =
      kind === 'busy'
        ? settings.busyDelaySeconds
        : kind === 'rejected'
          ? settings.rejectDelaySeconds
          : kind === 'no-answer'
            ? settings.noAnswerDelaySeconds
            : settings.unreachableDelaySeconds;
    const until = now + delaySeconds * SECOND;
    if (until >= state.heldBackUntil) {
      state.heldBackUntil = until;
      state.heldBackFor = kind;
    }
    let pausedNow = false;
    if (kind === 'no-answer') {
      state.noAnswerCount += 1;
      if (settings.maxNoAnswer > 0 && state.noAnswerCount >= settings.maxNoAnswer && state.paused === null) {
        state.paused = { by: 'max-no-answer', since: now };
        pausedNow = true;
      }
    }
    return { heldBackUntil: state.heldBackUntil, noAnswerCount: state.noAnswerCount, pausedNow };
  }

  /** Manual pause (replaces an automatic one). */
  pause(extension: string, now: number, note?: string): PauseState {
    checkExtension(extension);
    checkInstant(now, 'now');
    if (note !== undefined && (typeof note !== 'string' || note.length > 500)) throw invalid('note', 'must be a string of at most 500 characters');
    const paused: PauseState = note ? { by: 'manual', since: now, note } : { by: 'manual', since: now };
    this.state(extension).paused = paused;
    return paused;
  }

  /**
   * Back to work: clears the pause (manual or automatic), the no-answer count and any hold-back — an explicit
   * "I am ready" outranks the delay of the failure that paused the agent. Returns whether it was paused.
   */
  unpause(extension: string): boolean {
    const state = this.agents.get(extension);
    if (!state) return false;
    const was = state.paused !== null;
    state.paused = null;
    state.noAnswerCount = 0;
    state.heldBackUntil = 0;
    state.heldBackFor = null;
    return was;
  }

  // ---- round robin ----------------------------------------------------------------------------------------

  /** The agent last tried for this queue, from which round robin continues. */
  lastPicked(queue: string): string | null {
    return this.roundRobin.get(queue) ?? null;
  }

  setLastPicked(queue: string, extension: string): void {
    checkExtension(extension);
    this.roundRobin.set(queue, extension);
  }

  forgetQueue(queue: string): void {
    this.roundRobin.delete(queue);
  }

  // ---- queries --------------------------------------------------------------------------------------------

  /** The ranker's per-agent check (no DND here; see availability()). Allocation-light: no reasons → a shared empty array. */
  status(extension: string, now: number): PresenceStatus {
    const state = this.agents.get(extension);
    if (!state) {
      return {
        reasons: this.requireRegistration ? ['not-registered'] : NO_REASONS,
        contact: null,
        activeCalls: 0,
        lastCallEndedAt: null,
        callsTaken: 0,
      };
    }
    let reasons: AvailabilityReason[] | null = null;
    const contact = liveContact(state, now);
    if (this.requireRegistration && contact === null) {
      (reasons ??= []).push(state.everRegistered ? 'registration-expired' : 'not-registered');
    }
    if (state.paused !== null) (reasons ??= []).push('paused');
    const activeCalls = state.calls.size === 0 ? 0 : this.activeCalls(state, now);
    const limit = state.settings?.callLimit ?? this.defaults.callLimit;
    if (activeCalls >= limit) (reasons ??= []).push('in-call');
    else if (state.offers.size > 0 && activeCalls + activeOffers(state, now) >= limit) (reasons ??= []).push('ringing');
    if (state.wrapUpUntil > now) (reasons ??= []).push('wrap-up');
    if (state.heldBackUntil > now) (reasons ??= []).push('held-back');

    return {
      reasons: reasons ?? NO_REASONS,
      contact,
      activeCalls,
      lastCallEndedAt: state.lastCallEndedAt,
      callsTaken: state.callsTaken,
    };
  }

  /** Full availability of one agent; with `isInDnd`, DND is checked too (reason "dnd"). */
  availability(extension: string, now: number, isInDnd?: (extension: string, now: number) => boolean): Availability {
    const base = this.status(extension, now);
    const reasons = [...base.reasons];
    if (isInDnd?.(extension, now)) reasons.splice(this.requireRegistration && base.contact === null ? 1 : 0, 0, 'dnd');
    const state = this.agents.get(extension);
    const settings = this.settingsFor(extension);
    const ringing = state ? activeOffers(state, now) : 0;
    let registrationExpiresAt: number | null = null;
    if (state) for (const e of state.bindings.values()) registrationExpiresAt = Math.max(registrationExpiresAt ?? -Infinity, e);
    const wrapUpUntil = state && state.wrapUpUntil > now ? state.wrapUpUntil : null;
    const heldBackUntil = state && state.heldBackUntil > now ? state.heldBackUntil : null;

    let availableAt: number | null = null;
    const timeBound = new Set<AvailabilityReason>(['wrap-up', 'held-back', 'ringing']);
    if (reasons.length > 0 && reasons.every((r) => timeBound.has(r)) && state) {
      availableAt = Math.max(wrapUpUntil ?? now, heldBackUntil ?? now);
      if (reasons.includes('ringing')) {
        // Free when enough reservations have run out to get under the call limit.
        const limit = settings.callLimit;
        const ends = [...state.offers.values()].filter((u) => u > now).sort((a, b) => a - b);
        const mustEnd = base.activeCalls + ends.length - limit + 1;
        const end = ends[mustEnd - 1];
        if (end !== undefined) availableAt = Math.max(availableAt, end);
      }
    }
    return {
      ...base,
      reasons,
      extension,
      available: reasons.length === 0,
      ringing,
      callLimit: settings.callLimit,
      registrationExpiresAt,
      wrapUpUntil,
      heldBackUntil,
      heldBackFor: heldBackUntil !== null ? (state?.heldBackFor ?? null) : null,
      paused: state?.paused ?? null,
      noAnswerCount: state?.noAnswerCount ?? 0,
      availableAt,
    };
  }

  /** Every extension presence knows about (registered, or with stats, settings or a pause). */
  extensions(): string[] {
    return [...this.agents.keys()];
  }

  // ---- housekeeping ---------------------------------------------------------------------------------------

  /** Zero every agent's callsTaken (e.g. daily, for fewest-calls). */
  resetStats(): void {
    for (const state of this.agents.values()) state.callsTaken = 0;
  }

  /**
   * Drop expired bindings, stale calls and reservations, and forget extensions with nothing worth keeping
   * (typically phones that registered but are no agents). Call it now and then (e.g. every minute).
   */
  prune(now: number): number {
    let removed = 0;
    for (const [ext, state] of this.agents) {
      for (const [c, e] of state.bindings) if (e <= now) state.bindings.delete(c);
      refreshBest(state);
      for (const [id, started] of state.calls) if (started + this.maxCallMs <= now) state.calls.delete(id);
      for (const [id, until] of state.offers) if (until <= now) state.offers.delete(id);
      const empty =
        state.bindings.size === 0 &&
        state.calls.size === 0 &&
        state.offers.size === 0 &&
        state.paused === null &&
        state.settings === null &&
        state.callsTaken === 0 &&
        state.lastCallEndedAt === null &&
        state.wrapUpUntil <= now &&
        state.heldBackUntil <= now &&
        state.noAnswerCount === 0;
      if (empty) {
        this.agents.delete(ext);
        removed += 1;
      }
    }
    return removed;
  }

  exportState(): PresenceSnapshot {
    return {
      agents: [...this.agents.values()].map((s) => ({
        extension: s.extension,
        bindings: [...s.bindings].map(([contact, expiresAt]) => ({ contact, expiresAt })),
        calls: [...s.calls].map(([id, startedAt]) => ({ id, startedAt })),
        lastCallEndedAt: s.lastCallEndedAt,
        wrapUpUntil: s.wrapUpUntil,
        heldBackUntil: s.heldBackUntil,
        heldBackFor: s.heldBackFor,
        noAnswerCount: s.noAnswerCount,
        paused: s.paused,
        callsTaken: s.callsTaken,
        settings: s.settings,
      })),
      roundRobin: [...this.roundRobin].map(([queue, extension]) => ({ queue, extension })),
    };
  }

  /** Replace all runtime state with a snapshot from exportState() (settings are re-validated). */
  importState(snapshot: PresenceSnapshot): void {
    const agents = new Map<string, AgentState>();
    snapshot.agents.forEach((a, i) => {
      try {
        checkExtension(a.extension);
        const settings = a.settings ? validateAgentSettings(a.settings) : null;
        const state: AgentState = {
          extension: a.extension,
          bindings: new Map(a.bindings.map((b) => [b.contact, b.expiresAt])),
          bestContact: null,
          bestExpiresAt: -Infinity,
          calls: new Map(a.calls.map((c) => [c.id, c.startedAt])),
          offers: new Map(),
          lastCallEndedAt: a.lastCallEndedAt,
          wrapUpUntil: a.wrapUpUntil,
          heldBackUntil: a.heldBackUntil,
          heldBackFor: a.heldBackFor,
          noAnswerCount: a.noAnswerCount,
          paused: a.paused,
          callsTaken: a.callsTaken,
          settings: settings && Object.keys(settings).length > 0 ? settings : null,
          everRegistered: a.bindings.length > 0,
        };
        refreshBest(state);
        agents.set(a.extension, state);
      } catch (err) {
        throw err instanceof RoutingError ? err.prefixed(`agents[${i}]`) : err;
      }
    });
    this.agents.clear();
    for (const [k, v] of agents) this.agents.set(k, v);
    this.roundRobin.clear();
    for (const { queue, extension } of snapshot.roundRobin) this.roundRobin.set(queue, extension);
  }

  // ---- internals ------------------------------------------------------------------------------------------

  private state(extension: string): AgentState {
    let state = this.agents.get(extension);
    if (!state) {
      state = {
        extension,
        bindings: new Map(),
        bestContact: null,
        bestExpiresAt: -Infinity,
        calls: new Map(),
        offers: new Map(),
        lastCallEndedAt: null,
        wrapUpUntil: 0,
        heldBackUntil: 0,
        heldBackFor: null,
        noAnswerCount: 0,
        paused: null,
        callsTaken: 0,
        settings: null,
        everRegistered: false,
      };
      this.agents.set(extension, state);
    }
    return state;
  }

  private activeCalls(state: AgentState, now: number): number {
    let n = 0;
    for (const started of state.calls.values()) if (started + this.maxCallMs > now) n += 1;
    return n;
  }
}

function liveContact(state: AgentState, now: number): string | null {
  return state.bestExpiresAt > now ? state.bestContact : null;
}

function refreshBest(state: AgentState): void {
  state.bestContact = null;
  state.bestExpiresAt = -Infinity;
  for (const [contact, expiresAt] of state.bindings) {
    if (expiresAt > state.bestExpiresAt) {
      state.bestContact = contact;
      state.bestExpiresAt = expiresAt;
    }
  }
}

function activeOffers(state: AgentState, now: number): number {
  let n = 0;
  for (const until of state.offers.values()) if (until > now) n += 1;
  return n;
}

/**
 * Without a key: remove the oldest entry. With a key: remove that entry; when it is absent, remove the oldest only
 * if `orOldest` (calls: a call whose id was lost must not stay active; reservations: never release someone else's).
 */
function takeOne(map: Map<string, number>, key: string | undefined, orOldest: boolean): void {
  if (key !== undefined && (map.delete(key) || !orOldest)) return;
  const first = map.keys().next();
  if (!first.done) map.delete(first.value);
}
