/**
 * Test double of MfaRepository (the SQLite implementation lives in src/store later).
 * Copies records in and out like a database would, and can answer
 * asynchronously (`async: true`) so interleavings of concurrent calls are real.
 */
import type { LockoutState } from '../../../src/mfa/lockout.js';
import type { MfaEnrollmentRecord, MfaRepository } from '../../../src/mfa/mfa-service.js';

export class InMemoryMfaRepository implements MfaRepository {
  readonly enrollments = new Map<string, MfaEnrollmentRecord>();
  readonly lockouts = new Map<string, LockoutState>();
  readonly #async: boolean;

  constructor(options: { async?: boolean } = {}) {
    this.#async = options.async ?? false;
  }

  #answer<T>(value: T): T | Promise<T> {
    if (!this.#async) return value;
    return new Promise((resolve) => setTimeout(() => resolve(value), 1));
  }

  getEnrollment(subject: string): MfaEnrollmentRecord | null | Promise<MfaEnrollmentRecord | null> {
    const r = this.enrollments.get(subject);
    return this.#answer(r === undefined ? null : structuredClone(r));
  }

  putEnrollment(record: MfaEnrollmentRecord): void | Promise<void> {
    this.enrollments.set(record.subject, structuredClone(record));
    return this.#answer(undefined);
  }

  deleteEnrollment(subject: string): void | Promise<void> {
    this.enrollments.delete(subject);
    return this.#answer(undefined);
  }

  getLockout(subject: string): LockoutState | null | Promise<LockoutState | null> {
    const s = this.lockouts.get(subject);
    return this.#answer(s === undefined ? null : structuredClone(s));
  }

  putLockout(subject: string, state: LockoutState): void | Promise<void> {
    // Round-trip through JSON like a TEXT column would.
    this.lockouts.set(subject, JSON.parse(JSON.stringify(state)) as LockoutState);
    return this.#answer(undefined);
  }

  deleteLockout(subject: string): void | Promise<void> {
    this.lockouts.delete(subject);
    return this.#answer(undefined);
  }
}
