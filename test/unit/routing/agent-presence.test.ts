import { describe, expect, it } from 'vitest';
import { AgentPresence } from '../../../src/routing/agent-presence.js';
import { RoutingError } from '../../../src/routing/types.js';

const T0 = Date.parse('2025-06-13T09:00:00Z');
const s = (n: number): number => n * 1000;
const HOUR = s(3600);

function registeredPresence(options: ConstructorParameters<typeof AgentPresence>[0] = {}, ...extensions: string[]): AgentPresence {
  const p = new AgentPresence(options);
  for (const ext of extensions.length > 0 ? extensions : ['201']) p.registered(ext, `sip:${ext}@10.0.0.${ext.slice(-1)}:5060`, T0 + HOUR);
  return p;
}

describe('registration', () => {
  it('unknown, registered, expired, unregistered', () => {
    const p = new AgentPresence();
    expect(p.status('201', T0).reasons).toEqual(['not-registered']);
    p.registered('201', 'sip:201@10.0.0.1', T0 + s(60));
    expect(p.availability('201', T0)).toMatchObject({ available: true, reasons: [], contact: 'sip:201@10.0.0.1', registrationExpiresAt: T0 + s(60) });
    expect(p.status('201', T0 + s(60)).reasons).toEqual(['registration-expired']);
    p.registered('201', 'sip:201@10.0.0.1', T0 + s(120));
    expect(p.status('201', T0 + s(60)).reasons).toEqual([]);
    p.unregistered('201');
    expect(p.status('201', T0).reasons).toEqual(['not-registered']);
  });

  it('several contacts: the one that expires last is used; removing one keeps the other', () => {
    const p = new AgentPresence();
    p.registered('201', 'sip:desk', T0 + s(600));
    p.registered('201', 'sip:softphone', T0 + s(300));
    expect(p.status('201', T0).contact).toBe('sip:desk');
    p.unregistered('201', 'sip:desk');
    expect(p.status('201', T0).contact).toBe('sip:softphone');
    expect(p.status('201', T0 + s(300)).reasons).toEqual(['registration-expired']);
  });

  it('expiry is still reported as such after prune', () => {
    const p = new AgentPresence();
    p.registered('201', 'sip:desk', T0 + s(60));
    p.callStarted('201', T0);
    p.prune(T0 + s(61));
    expect(p.status('201', T0 + s(61)).reasons).toContain('registration-expired');
  });

  it('requireRegistration false: registration is not needed', () => {
    const p = new AgentPresence({ requireRegistration: false });
    expect(p.status('201', T0).reasons).toEqual([]);
  });

  it('refuses bad input naming the field', () => {
    const p = new AgentPresence();
    expect(() => p.registered('2 01', 'sip:x', T0)).toThrow(RoutingError);
    expect(() => p.registered('201', '', T0)).toThrow(/contact/);
    expect(() => p.registered('201', 'sip:x', Number.NaN)).toThrow(/expiresAt/);
  });
});

describe('calls, wrap-up and call limit', () => {
  it('in a call → unavailable; after the call, wrap-up for wrapUpSeconds, then available', () => {
    const p = registeredPresence({ wrapUpSeconds: 30 });
    p.callStarted('201', T0);
    expect(p.status('201', T0 + s(5)).reasons).toEqual(['in-call']);
    p.callEnded('201', T0 + s(100));
    const a = p.availability('201', T0 + s(110));
    expect(a).toMatchObject({ available: false, reasons: ['wrap-up'], wrapUpUntil: T0 + s(130), availableAt: T0 + s(130), callsTaken: 1, lastCallEndedAt: T0 + s(100) });
    expect(p.status('201', T0 + s(129.999)).reasons).toEqual(['wrap-up']);
    expect(p.status('201', T0 + s(130)).reasons).toEqual([]);
  });

  it('call limit 2: available with one call, not with two', () => {
    const p = registeredPresence({ wrapUpSeconds: 0 });
    p.setAgentSettings('201', { callLimit: 2 });
    p.callStarted('201', T0, 'call-a');
    expect(p.status('201', T0).reasons).toEqual([]);
    expect(p.status('201', T0).activeCalls).toBe(1);
    p.callStarted('201', T0, 'call-b');
    expect(p.status('201', T0).reasons).toEqual(['in-call']);
    p.callEnded('201', T0 + s(10), 'call-a');
    expect(p.status('201', T0 + s(10))).toMatchObject({ reasons: [], activeCalls: 1 });
  });

  it('ringing reservations count against the call limit until released or expired', () => {
    const p = registeredPresence();
    p.ringStarted('201', T0, T0 + s(20), 'inv-1');
    expect(p.status('201', T0).reasons).toEqual(['ringing']);
    expect(p.availability('201', T0).availableAt).toBe(T0 + s(20));
    expect(p.status('201', T0 + s(20)).reasons).toEqual([]);
    p.ringEnded('201', 'other-call');
    expect(p.status('201', T0 + s(1)).reasons).toEqual(['ringing']);
    p.ringEnded('201', 'inv-1');
    expect(p.status('201', T0 + s(1)).reasons).toEqual([]);
  });

  it('a call whose end was missed stops counting after maxCallSeconds', () => {
    const p = registeredPresence({ maxCallSeconds: 600 });
    p.callStarted('201', T0);
    expect(p.status('201', T0 + s(599)).reasons).toEqual(['in-call']);
    expect(p.status('201', T0 + s(600)).reasons).toEqual([]);
  });
});

describe('hold-back after failed rings', () => {
  it('busy, rejected, no-answer and unreachable use their own delays', () => {
    const p = registeredPresence(
      { busyDelaySeconds: 60, rejectDelaySeconds: 10, noAnswerDelaySeconds: 30, unreachableDelaySeconds: 5, maxNoAnswer: 0 },
      '201',
      '202',
      '203',
      '204',
    );
    p.ringFailed('201', 'busy', T0);
    p.ringFailed('202', 'rejected', T0);
    p.ringFailed('203', 'no-answer', T0);
    p.ringFailed('204', 'unreachable', T0);
    expect(p.availability('201', T0)).toMatchObject({ reasons: ['held-back'], heldBackUntil: T0 + s(60), heldBackFor: 'busy' });
    expect(p.availability('202', T0)).toMatchObject({ heldBackUntil: T0 + s(10), heldBackFor: 'rejected' });
    expect(p.availability('203', T0)).toMatchObject({ heldBackUntil: T0 + s(30), heldBackFor: 'no-answer' });
    expect(p.availability('204', T0)).toMatchObject({ heldBackUntil: T0 + s(5), heldBackFor: 'unreachable' });
    expect(p.status('201', T0 + s(59)).reasons).toEqual(['held-back']);
    expect(p.status('201', T0 + s(60)).reasons).toEqual([]);
    expect(p.status('202', T0 + s(10)).reasons).toEqual([]);
    expect(p.status('203', T0 + s(29)).reasons).toEqual(['held-back']);
    expect(p.status('203', T0 + s(30)).reasons).toEqual([]);
  });

  it('a shorter later delay does not shorten a longer hold-back', () => {
    const p = registeredPresence({ busyDelaySeconds: 60, rejectDelaySeconds: 10 });
    p.ringFailed('201', 'busy', T0);
    p.ringFailed('201', 'rejected', T0 + s(1));
    expect(p.availability('201', T0 + s(20))).toMatchObject({ heldBackUntil: T0 + s(60), heldBackFor: 'busy' });
  });

  it('per-agent delays override the defaults', () => {
    const p = registeredPresence({ busyDelaySeconds: 60 });
    expect(p.setAgentSettings('201', { busyDelaySeconds: 5 }).busyDelaySeconds).toBe(5);
    p.ringFailed('201', 'busy', T0);
    expect(p.status('201', T0 + s(5)).reasons).toEqual([]);
    p.setAgentSettings('201', null);
    expect(p.settingsFor('201').busyDelaySeconds).toBe(60);
  });
});

describe('no-answer pausing', () => {
  it('maxNoAnswer consecutive no-answers pause the agent; the pause outlasts the hold-back', () => {
    const p = registeredPresence({ maxNoAnswer: 3, noAnswerDelaySeconds: 10 });
    expect(p.ringFailed('201', 'no-answer', T0).pausedNow).toBe(false);
    expect(p.ringFailed('201', 'no-answer', T0 + s(20)).pausedNow).toBe(false);
    const third = p.ringFailed('201', 'no-answer', T0 + s(40));
    expect(third).toEqual({ heldBackUntil: T0 + s(50), noAnswerCount: 3, pausedNow: true });
    const later = p.availability('201', T0 + HOUR / 2);
    expect(later).toMatchObject({ available: false, reasons: ['paused'], paused: { by: 'max-no-answer', since: T0 + s(40) }, availableAt: null });
    expect(p.ringFailed('201', 'no-answer', T0 + s(60)).pausedNow).toBe(false);
  });

  it('answering resets the count; busy and rejected do not count', () => {
    const p = registeredPresence({ maxNoAnswer: 2, wrapUpSeconds: 0 });
    p.ringFailed('201', 'no-answer', T0);
    p.callStarted('201', T0 + s(70));
    p.callEnded('201', T0 + s(80));
    expect(p.ringFailed('201', 'no-answer', T0 + s(90)).pausedNow).toBe(false);
    p.ringFailed('201', 'busy', T0 + s(200));
    p.ringFailed('201', 'rejected', T0 + s(300));
    expect(p.availability('201', T0 + s(300)).noAnswerCount).toBe(1);
    expect(p.ringFailed('201', 'no-answer', T0 + s(400)).pausedNow).toBe(true);
  });

  it('unpause makes the agent available at once and starts the count afresh', () => {
    const p = registeredPresence({ maxNoAnswer: 2, noAnswerDelaySeconds: 60 });
    p.ringFailed('201', 'no-answer', T0);
    p.ringFailed('201', 'no-answer', T0 + s(1));
    expect(p.status('201', T0 + s(2)).reasons).toEqual(['paused', 'held-back']);
    expect(p.unpause('201')).toBe(true);
    expect(p.availability('201', T0 + s(2))).toMatchObject({ available: true, noAnswerCount: 0, paused: null });
    expect(p.ringFailed('201', 'no-answer', T0 + s(3)).pausedNow).toBe(false);
  });

  it('maxNoAnswer 0 never pauses', () => {
    const p = registeredPresence({ maxNoAnswer: 0 });
    for (let i = 0; i < 10; i++) expect(p.ringFailed('201', 'no-answer', T0 + s(i)).pausedNow).toBe(false);
  });
});

describe('manual pause, DND in availability, state export', () => {
  it('pause / unpause', () => {
    const p = registeredPresence();
    expect(p.pause('201', T0, 'lunch')).toEqual({ by: 'manual', since: T0, note: 'lunch' });
    expect(p.status('201', T0).reasons).toEqual(['paused']);
    p.unpause('201');
    expect(p.status('201', T0).reasons).toEqual([]);
    expect(p.unpause('999')).toBe(false);
  });

  it('availability() adds dnd from the injected check, after registration reasons', () => {
    const p = new AgentPresence();
    p.pause('201', T0);
    const dnd = (ext: string): boolean => ext === '201';
    expect(p.availability('201', T0, dnd).reasons).toEqual(['not-registered', 'dnd', 'paused']);
  });

  it('round-trips through exportState / importState', () => {
    const p = registeredPresence({ wrapUpSeconds: 30 }, '201', '202');
    p.callStarted('201', T0, 'c1');
    p.callEnded('201', T0 + s(10), 'c1');
    p.pause('202', T0);
    p.setAgentSettings('202', { callLimit: 3 });
    p.setLastPicked('500', '201');
    const copy = new AgentPresence({ wrapUpSeconds: 30 });
    copy.importState(JSON.parse(JSON.stringify(p.exportState())));
    for (const ext of ['201', '202']) expect(copy.availability(ext, T0 + s(20))).toEqual(p.availability(ext, T0 + s(20)));
    expect(copy.lastPicked('500')).toBe('201');
    expect(copy.settingsFor('202').callLimit).toBe(3);
  });

  it('validates options and settings, naming the field', () => {
    expect(() => new AgentPresence({ callLimit: 0 })).toThrow(/callLimit/);
    const p = new AgentPresence();
    try {
      p.setAgentSettings('201', { wrapUpSeconds: -1, maxNoAnswer: 1.5, colour: 'red' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RoutingError);
      expect((err as RoutingError).issues.map((i) => i.field).sort()).toEqual(['colour', 'maxNoAnswer', 'wrapUpSeconds']);
    }
  });

  it('prune forgets registrations of non-agents once expired, keeps agents with stats', () => {
    const p = new AgentPresence();
    p.registered('100', 'sip:lobby', T0 + s(60));
    p.registered('201', 'sip:agent', T0 + s(60));
    p.callStarted('201', T0);
    p.callEnded('201', T0 + s(1));
    expect(p.prune(T0 + HOUR)).toBe(1);
    expect(p.extensions()).toEqual(['201']);
  });
});
