import { describe, expect, it } from 'vitest';
import {
  createOverride,
  isOverrideActive,
  validateOverrideInput,
  validateStoredOverride,
  type DndOverride,
} from '../../../src/dnd/override.js';
import { DndValidationError, type DndStatus } from '../../../src/dnd/types.js';

const NOW = Date.parse('2025-06-13T12:00:00Z');
const available: DndStatus = { extension: '1001', at: NOW, dnd: false, reason: 'none', until: null };
const scheduled: DndStatus = { extension: '1001', at: NOW, dnd: true, reason: 'schedule', ruleId: 'lunch', until: NOW + 3_600_000 };

describe('isOverrideActive', () => {
  const o: DndOverride = { extension: '1001', state: 'on', until: NOW + 60_000, mode: 'until', setAt: NOW, previousStatus: null, note: null };

  it('is over exactly at `until`', () => {
    expect(isOverrideActive(o, NOW + 59_999)).toBe(true);
    expect(isOverrideActive(o, NOW + 60_000)).toBe(false);
  });

  it('a permanent override never expires', () => {
    expect(isOverrideActive({ ...o, until: null, mode: 'permanent' }, Number.MAX_SAFE_INTEGER)).toBe(true);
  });
});

describe('createOverride', () => {
  it('keeps an explicit until, records when and what was before', () => {
    const o = createOverride('1001', { state: 'on', until: NOW + 30 * 60_000 }, { now: NOW, current: available, existing: null, nextUnderlyingChange: null });
    expect(o).toEqual({
      extension: '1001',
      state: 'on',
      until: NOW + 30 * 60_000,
      mode: 'until',
      setAt: NOW,
      previousStatus: { dnd: false, reason: 'none' },
      note: null,
    });
  });

  it('resolves next-change at set time, and refuses it when nothing changes', () => {
    const o = createOverride('1001', { state: 'off', until: 'next-change' }, { now: NOW, current: scheduled, existing: null, nextUnderlyingChange: NOW + 3_600_000 });
    expect(o).toMatchObject({ mode: 'next-change', until: NOW + 3_600_000, previousStatus: { dnd: true, reason: 'schedule', ruleId: 'lunch' } });
    expect(() => createOverride('1001', { state: 'on', until: 'next-change' }, { now: NOW, current: available, existing: null, nextUnderlyingChange: null })).toThrow(
      /until: the extension has no scheduled or calendar change ahead/,
    );
  });

  it('null is permanent; an until that is not in the future is refused', () => {
    expect(createOverride('1001', { state: 'on', until: null }, { now: NOW, current: available, existing: null, nextUnderlyingChange: null })).toMatchObject({
      mode: 'permanent',
      until: null,
    });
    expect(() => createOverride('1001', { state: 'on', until: NOW }, { now: NOW, current: available, existing: null, nextUnderlyingChange: null })).toThrow(DndValidationError);
  });

  it('replacing an active override keeps the status from before the first override', () => {
    const first = createOverride('1001', { state: 'on', until: NOW + 60_000 }, { now: NOW, current: available, existing: null, nextUnderlyingChange: null });
    const overridden: DndStatus = { extension: '1001', at: NOW + 1000, dnd: true, reason: 'override', until: NOW + 60_000, previousStatus: first.previousStatus! };
    const second = createOverride('1001', { state: 'on', until: null }, { now: NOW + 1000, current: overridden, existing: first, nextUnderlyingChange: null });
    expect(second.previousStatus).toEqual({ dnd: false, reason: 'none' });
    // an expired one does not count
    const later = createOverride('1001', { state: 'off', until: null }, { now: NOW + 120_000, current: scheduled, existing: first, nextUnderlyingChange: null });
    expect(later.previousStatus).toEqual({ dnd: true, reason: 'schedule', ruleId: 'lunch' });
  });
});

describe('validation of API payloads and stored rows', () => {
  it('names the bad fields', () => {
    try {
      validateOverrideInput({ state: 'maybe', until: 'tomorrow' });
      expect.unreachable();
    } catch (err) {
      expect((err as DndValidationError).issues.map((i) => i.field)).toEqual(['state', 'until']);
    }
    expect(validateOverrideInput({ state: 'on', until: 'next-change', note: 'at the dentist' })).toEqual({ state: 'on', until: 'next-change', note: 'at the dentist' });
  });

  it('round-trips a stored override (JSON)', () => {
    const o = createOverride('1001', { state: 'off', until: NOW + 5000, note: 'x' }, { now: NOW, current: scheduled, existing: null, nextUnderlyingChange: null });
    expect(validateStoredOverride(JSON.parse(JSON.stringify(o)))).toEqual(o);
    expect(() => validateStoredOverride({ ...o, mode: 'soon', previousStatus: { dnd: 'yes' } })).toThrow(/mode: .*previousStatus: /);
  });
});
