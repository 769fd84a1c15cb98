/**
 * MFA flow for one kind of subject (PBX extensions, or sipwarden admins with a
 * second instance / subject prefix): enroll → verifyEnrollment (activates) →
 * verify (TOTP or single-use backup code) with replay protection and lockout.
 *
 * Storage goes through `MfaRepository` (SQLite later; an in-memory double in
 * the tests), secrets through an injected vault. Time is always passed in (ms).
 *
 * Secrets: the TOTP secret, its otpauth URI / QR and the plain backup codes
 * leave this service only in the `enroll` result (and new backup codes in
 * `regenerateBackupCodes`). The record holds the secret encrypted with AAD
 * `totp:<subject>` and the backup codes as scrypt hashes.
 *
 * Concurrency: calls for one subject are serialised in this process (KeyedMutex).
 * Several processes sharing one store would need the repository to make the
 * read-modify-write atomic (see MfaRepository).
 */
import { createBackupCodes, DEFAULT_BACKUP_CODE_COUNT, DEFAULT_BACKUP_CODE_SCRYPT, normaliseBackupCode, verifyBackupCode, withoutBackupCode } from './backup-codes.js';
import { KeyedMutex } from './keyed-mutex.js';
import { DEFAULT_LOCKOUT_POLICY, isLockedAt, lockoutPolicy, registerFailure } from './lockout.js';
import type { LockoutPolicy, LockoutState } from './lockout.js';
import { provisioningQr } from './qr.js';
import type { ProvisioningQr, ProvisioningQrOptions } from './qr.js';
import type { ScryptParams } from './scrypt-hash.js';
import {
  DEFAULT_TOTP_PARAMS,
  DEFAULT_TOTP_WINDOW,
  generateTotpSecret,
  MAX_TOTP_WINDOW,
  normaliseTotpCode,
  provisioningUri,
  recommendedSecretBytes,
  TOTP_ALGORITHMS,
  verifyTotp,
} from './totp.js';
import type { TotpAlgorithm, TotpDigits } from './totp.js';
import type { SecretSealer } from './vault.js';

export type Awaitable<T> = T | Promise<T>;
export type MfaMethod = 'totp' | 'backup-code';
export type MfaEnrollmentStatus = 'pending' | 'active';

/** One row per subject. Times are ms since the epoch. */
export interface MfaEnrollmentRecord {
  subject: string;
  /** Vault string (v1:<keyId>:<iv>:<tag>:<ct>) of the Base32 secret, AAD `totp:<subject>`. */
  secretEnc: string;
  algorithm: TotpAlgorithm;
  digits: TotpDigits;
  period: number;
  status: MfaEnrollmentStatus;
  /** Last accepted TOTP time step; steps <= this are refused (replay). */
  lastAcceptedStep: number | null;
  /** scrypt$N$r$p$salt$hash of each unused backup code. */
  backupCodeHashes: string[];
  createdAt: number;
  activatedAt: number | null;
}

/**
 * Storage for the MFA service. Methods may be sync (better-sqlite3) or async.
 * `put*` replaces the whole row for the subject (upsert). Lockout state is
 * plain JSON (lockout.ts `LockoutState`; validate with `parseLockoutState`).
 */
export interface MfaRepository {
  getEnrollment(subject: string): Awaitable<MfaEnrollmentRecord | null>;
  putEnrollment(record: MfaEnrollmentRecord): Awaitable<void>;
  deleteEnrollment(subject: string): Awaitable<void>;
  getLockout(subject: string): Awaitable<LockoutState | null>;
  putLockout(subject: string, state: LockoutState): Awaitable<void>;
  deleteLockout(subject: string): Awaitable<void>;
}

export interface MfaServiceOptions {
  /** Issuer shown by authenticator apps (no ":"), e.g. "ACME PBX". */
  issuer: string;
  algorithm?: TotpAlgorithm;
  digits?: TotpDigits;
  /** Seconds (default 30). */
  period?: number;
  /** TOTP steps accepted each way (default 1). */
  window?: number;
  /** Secret size in bytes (default: the hash size, 20 / 32 / 64). */
  secretBytes?: number;
  backupCodeCount?: number;
  /** scrypt cost for backup codes (tests pass a cheap one). */
  backupCodeScrypt?: ScryptParams;
  lockout?: Partial<LockoutPolicy>;
  /** A pending enrollment not confirmed within this time is void (default 15 min). */
  enrollmentTtlMs?: number;
  /** Account name in the authenticator (default: the subject with ":" replaced by a space). */
  accountLabel?: (subject: string) => string;
  qr?: ProvisioningQrOptions;
}

export interface MfaServiceDeps {
  repository: MfaRepository;
  vault: SecretSealer;
}

/** Returned once by `enroll`: show it to the user, never store or log it. */
export interface MfaEnrollment {
  subject: string;
  /** Base32 secret, for manual entry. */
  secret: string;
  otpauthUri: string;
  qr: ProvisioningQr;
  /** Plain backup codes, XXXXX-XXXXX. */
  backupCodes: string[];
  algorithm: TotpAlgorithm;
  digits: TotpDigits;
  period: number;
  /** verifyEnrollment must succeed before this time (ms). */
  expiresAt: number;
}

export type MfaVerifyReason = 'not-enrolled' | 'locked' | 'invalid' | 'replay';

export interface MfaVerifyResult {
  ok: boolean;
  /** The kind of code accepted, or the kind recognised for a failure (absent if the input was neither). */
  method?: MfaMethod;
  reason?: MfaVerifyReason;
  /** Set when the subject is (now) locked. */
  lockedUntil?: number;
  /** Unused backup codes after a success (suggest regenerating when low). */
  remainingBackupCodes?: number;
}

export type MfaEnrollmentVerifyReason = 'not-enrolled' | 'already-active' | 'expired' | 'locked' | 'invalid' | 'replay';

export interface MfaEnrollmentVerifyResult {
  ok: boolean;
  reason?: MfaEnrollmentVerifyReason;
  lockedUntil?: number;
}

export interface MfaStatus {
  /** A usable enrollment exists (active, or pending and not expired). */
  enrolled: boolean;
  /** MFA is in force: verify() will demand a code. */
  active: boolean;
  pending: boolean;
  methods: MfaMethod[];
  backupCodesRemaining: number;
  locked: boolean;
  lockedUntil: number | null;
  createdAt: number | null;
  activatedAt: number | null;
}

export type MfaStateErrorCode = 'already-active' | 'not-enrolled';

/** A call that does not fit the subject's enrollment state (map to HTTP 409 / 404). */
export class MfaStateError extends Error {
  readonly code: MfaStateErrorCode;
  constructor(code: MfaStateErrorCode, subject: string) {
    super(code === 'already-active' ? `MFA is already active for ${subject}; disable it first` : `no MFA enrollment for ${subject}`);
    this.name = 'MfaStateError';
    this.code = code;
  }
}

export const DEFAULT_ENROLLMENT_TTL_MS = 15 * 60_000;
const SUBJECT_RE = /^[^\p{Cc}\p{Cf}]{1,128}$/u;

function checkSubject(subject: string): void {
  if (typeof subject !== 'string' || !SUBJECT_RE.test(subject) || subject.trim() !== subject) {
    throw new TypeError('MFA subject must be 1..128 printable characters without surrounding spaces');
  }
}

function checkNow(now: number): void {
  if (!Number.isSafeInteger(now) || now < 0) throw new RangeError(`time must be a non-negative integer number of ms, got ${now}`);
}

/** Throws a TypeError if a record read from storage is not well-formed. */
export function assertEnrollmentRecord(r: MfaEnrollmentRecord, subject: string): void {
  const bad = (what: string): never => {
    throw new TypeError(`MFA enrollment record for ${subject} is invalid: ${what}`);
  };
  if (r.subject !== subject) bad('subject does not match');
  if (typeof r.secretEnc !== 'string' || r.secretEnc === '') bad('secretEnc');
  if (!TOTP_ALGORITHMS.includes(r.algorithm)) bad('algorithm');
  if (r.digits !== 6 && r.digits !== 8) bad('digits');
  if (!Number.isInteger(r.period) || r.period < 1) bad('period');
  if (r.status !== 'pending' && r.status !== 'active') bad('status');
  if (r.lastAcceptedStep !== null && !Number.isSafeInteger(r.lastAcceptedStep)) bad('lastAcceptedStep');
  if (!Array.isArray(r.backupCodeHashes) || !r.backupCodeHashes.every((h) => typeof h === 'string')) bad('backupCodeHashes');
  if (!Number.isSafeInteger(r.createdAt)) bad('createdAt');
  if (r.activatedAt !== null && !Number.isSafeInteger(r.activatedAt)) bad('activatedAt');
  if (r.status === 'active' && r.activatedAt === null) bad('active without activatedAt');
}

export class MfaService {
  readonly #repo: MfaRepository;
  readonly #vault: SecretSealer;
  readonly #issuer: string;
  readonly #algorithm: TotpAlgorithm;
  readonly #digits: TotpDigits;
  readonly #period: number;
  readonly #window: number;
  readonly #secretBytes: number;
  readonly #backupCodeCount: number;
  readonly #backupCodeScrypt: ScryptParams;
  readonly #lockout: LockoutPolicy;
  readonly #enrollmentTtlMs: number;
  readonly #accountLabel: (subject: string) => string;
  readonly #qr: ProvisioningQrOptions;
  readonly #mutex = new KeyedMutex();

  constructor(deps: MfaServiceDeps, options: MfaServiceOptions) {
    this.#repo = deps.repository;
    this.#vault = deps.vault;
    this.#issuer = options.issuer;
    this.#algorithm = options.algorithm ?? DEFAULT_TOTP_PARAMS.algorithm;
    this.#digits = options.digits ?? DEFAULT_TOTP_PARAMS.digits;
    this.#period = options.period ?? DEFAULT_TOTP_PARAMS.period;
    this.#window = options.window ?? DEFAULT_TOTP_WINDOW;
    this.#secretBytes = options.secretBytes ?? recommendedSecretBytes(this.#algorithm);
    this.#backupCodeCount = options.backupCodeCount ?? DEFAULT_BACKUP_CODE_COUNT;
    this.#backupCodeScrypt = options.backupCodeScrypt ?? DEFAULT_BACKUP_CODE_SCRYPT;
    this.#lockout = lockoutPolicy(options.lockout ?? DEFAULT_LOCKOUT_POLICY);
    this.#enrollmentTtlMs = options.enrollmentTtlMs ?? DEFAULT_ENROLLMENT_TTL_MS;
    this.#accountLabel = options.accountLabel ?? ((s) => s.replace(/:/g, ' '));
    this.#qr = options.qr ?? {};
    if (!TOTP_ALGORITHMS.includes(this.#algorithm)) throw new TypeError(`unsupported TOTP algorithm ${this.#algorithm}`);
    if (this.#digits !== 6 && this.#digits !== 8) throw new RangeError('TOTP digits must be 6 or 8');
    if (!Number.isInteger(this.#window) || this.#window < 0 || this.#window > MAX_TOTP_WINDOW) {
      throw new RangeError(`TOTP window must be 0..${MAX_TOTP_WINDOW}`);
    }
    if (!Number.isSafeInteger(this.#enrollmentTtlMs) || this.#enrollmentTtlMs < 1) throw new RangeError('enrollmentTtlMs must be a positive integer');
    // Fail at construction, not at the first enrollment, on a bad issuer / period / secret size.
    provisioningUri({ secret: generateTotpSecret(this.#secretBytes), issuer: this.#issuer, account: 'check', period: this.#period, digits: this.#digits, algorithm: this.#algorithm });
  }

  /**
   * Start (or restart) an enrollment: new secret, new backup codes, status
   * pending. Throws MfaStateError('already-active') if MFA is active: disable
   * it first (the API should demand a fresh second factor or an admin for that).
   */
  async enroll(subject: string, now: number): Promise<MfaEnrollment> {
    checkSubject(subject);
    checkNow(now);
    return this.#mutex.run(subject, async () => {
      const existing = await this.#get(subject);
      if (existing?.status === 'active') throw new MfaStateError('already-active', subject);
      const secret = generateTotpSecret(this.#secretBytes);
      const params = { algorithm: this.#algorithm, digits: this.#digits, period: this.#period };
      const otpauthUri = provisioningUri({ secret, issuer: this.#issuer, account: this.#accountLabel(subject), ...params });
      const [qr, backup] = await Promise.all([
        provisioningQr(otpauthUri, this.#qr),
        createBackupCodes(this.#backupCodeCount, this.#backupCodeScrypt),
      ]);
      await this.#repo.putEnrollment({
        subject,
        secretEnc: this.#vault.encrypt(secret, aadFor(subject)),
        ...params,
        status: 'pending',
        lastAcceptedStep: null,
        backupCodeHashes: backup.hashes,
        createdAt: now,
        activatedAt: null,
      });
      return { subject, secret, otpauthUri, qr, backupCodes: backup.codes, ...params, expiresAt: now + this.#enrollmentTtlMs };
    });
  }

  /** Confirm a pending enrollment with a TOTP code from the app (backup codes are not accepted here). */
  async verifyEnrollment(subject: string, code: string, now: number): Promise<MfaEnrollmentVerifyResult> {
    checkSubject(subject);
    checkNow(now);
    return this.#mutex.run(subject, async () => {
      const rec = await this.#get(subject);
      if (rec === null) return { ok: false, reason: 'not-enrolled' };
      if (rec.status === 'active') return { ok: false, reason: 'already-active' };
      if (now >= rec.createdAt + this.#enrollmentTtlMs) {
        await this.#repo.deleteEnrollment(subject);
        return { ok: false, reason: 'expired' };
      }
      const lock = await this.#repo.getLockout(subject);
      if (lock !== null && isLockedAt(lock, now)) return { ok: false, reason: 'locked', lockedUntil: lock.lockedUntil ?? now };
      const r = this.#checkTotp(rec, code, now);
      if (!r.valid) {
        const failed = await this.#fail(subject, lock, now);
        return { ok: false, reason: r.reason === 'replay' ? 'replay' : 'invalid', ...failed };
      }
      await this.#repo.putEnrollment({ ...rec, status: 'active', activatedAt: now, lastAcceptedStep: r.step });
      if (lock !== null) await this.#repo.deleteLockout(subject);
      return { ok: true };
    });
  }

  /**
   * Check a second factor: a TOTP code (6/8 digits) or a backup code
   * (XXXXX-XXXXX, any case, spaces and dashes ignored; single use).
   * Every failure (wrong, replayed or unrecognisable input) counts toward the lockout;
   * while locked no code is checked.
   */
  async verify(subject: string, code: string, now: number): Promise<MfaVerifyResult> {
    checkSubject(subject);
    checkNow(now);
    return this.#mutex.run(subject, async () => {
      const rec = await this.#get(subject);
      if (rec === null || rec.status !== 'active') return { ok: false, reason: 'not-enrolled' };
      const lock = await this.#repo.getLockout(subject);
      if (lock !== null && isLockedAt(lock, now)) return { ok: false, reason: 'locked', lockedUntil: lock.lockedUntil ?? now };

      if (normaliseTotpCode(code, rec.digits) !== null) {
        const r = this.#checkTotp(rec, code, now);
        if (r.valid) {
          await this.#repo.putEnrollment({ ...rec, lastAcceptedStep: r.step });
          if (lock !== null) await this.#repo.deleteLockout(subject);
          return { ok: true, method: 'totp', remainingBackupCodes: rec.backupCodeHashes.length };
        }
        const failed = await this.#fail(subject, lock, now);
        return { ok: false, method: 'totp', reason: r.reason === 'replay' ? 'replay' : 'invalid', ...failed };
      }

      if (normaliseBackupCode(code) !== null) {
        const index = await verifyBackupCode(code, rec.backupCodeHashes);
        if (index >= 0) {
          const remaining = withoutBackupCode(rec.backupCodeHashes, index);
          await this.#repo.putEnrollment({ ...rec, backupCodeHashes: remaining });
          if (lock !== null) await this.#repo.deleteLockout(subject);
          return { ok: true, method: 'backup-code', remainingBackupCodes: remaining.length };
        }
        const failed = await this.#fail(subject, lock, now);
        return { ok: false, method: 'backup-code', reason: 'invalid', ...failed };
      }

      const failed = await this.#fail(subject, lock, now);
      return { ok: false, reason: 'invalid', ...failed };
    });
  }

  async status(subject: string, now: number): Promise<MfaStatus> {
    checkSubject(subject);
    checkNow(now);
    const [rec, lock] = await Promise.all([this.#get(subject), this.#repo.getLockout(subject)]);
    const live = rec !== null && (rec.status === 'active' || now < rec.createdAt + this.#enrollmentTtlMs) ? rec : null;
    const active = live?.status === 'active';
    const backupCodesRemaining = live?.backupCodeHashes.length ?? 0;
    const locked = lock !== null && isLockedAt(lock, now);
    const methods: MfaMethod[] = active ? ['totp', ...(backupCodesRemaining > 0 ? (['backup-code'] as const) : [])] : [];
    return {
      enrolled: live !== null,
      active,
      pending: live?.status === 'pending',
      methods,
      backupCodesRemaining,
      locked,
      lockedUntil: locked ? lock.lockedUntil : null,
      createdAt: live?.createdAt ?? null,
      activatedAt: live?.activatedAt ?? null,
    };
  }

  /** Remove the enrollment and any lockout. Returns whether there was an enrollment. */
  async disable(subject: string): Promise<boolean> {
    checkSubject(subject);
    return this.#mutex.run(subject, async () => {
      const existed = (await this.#get(subject)) !== null;
      await this.#repo.deleteEnrollment(subject);
      await this.#repo.deleteLockout(subject);
      return existed;
    });
  }

  /** Replace all backup codes; returns the new plain codes (shown once). Throws MfaStateError('not-enrolled'). */
  async regenerateBackupCodes(subject: string): Promise<string[]> {
    checkSubject(subject);
    return this.#mutex.run(subject, async () => {
      const rec = await this.#get(subject);
      if (rec === null) throw new MfaStateError('not-enrolled', subject);
      const { codes, hashes } = await createBackupCodes(this.#backupCodeCount, this.#backupCodeScrypt);
      await this.#repo.putEnrollment({ ...rec, backupCodeHashes: hashes });
      return codes;
    });
  }

  /** Lift a lockout (admin action). */
  async resetLockout(subject: string): Promise<void> {
    checkSubject(subject);
    await this.#mutex.run(subject, async () => {
      await this.#repo.deleteLockout(subject);
    });
  }

  async #get(subject: string): Promise<MfaEnrollmentRecord | null> {
    const rec = await this.#repo.getEnrollment(subject);
    if (rec !== null) assertEnrollmentRecord(rec, subject);
    return rec;
  }

  #checkTotp(rec: MfaEnrollmentRecord, code: string, now: number): ReturnType<typeof verifyTotp> {
    // Malformed input is answered without decrypting the secret.
    if (normaliseTotpCode(code, rec.digits) === null) return { valid: false, reason: 'malformed' };
    return verifyTotp({
      secret: this.#vault.decrypt(rec.secretEnc, aadFor(rec.subject)),
      code,
      now,
      algorithm: rec.algorithm,
      digits: rec.digits,
      period: rec.period,
      window: this.#window,
      lastAcceptedStep: rec.lastAcceptedStep,
    });
  }

  async #fail(subject: string, lock: LockoutState | null, now: number): Promise<{ lockedUntil?: number }> {
    const { state, status } = registerFailure(lock, now, this.#lockout);
    await this.#repo.putLockout(subject, state);
    return status.locked && status.lockedUntil !== undefined ? { lockedUntil: status.lockedUntil } : {};
  }
}

/** AAD binding an encrypted TOTP secret to its owner. */
export function aadFor(subject: string): string {
  return `totp:${subject}`;
}
