import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MfaService, MfaStateError } from '../../../src/mfa/mfa-service.js';
import type { MfaServiceOptions } from '../../../src/mfa/mfa-service.js';
import { generateTotp, timeStepAt } from '../../../src/mfa/totp.js';
import { SecretVault, VAULT_DECRYPT_MESSAGE } from '../../../src/mfa/vault.js';
import { InMemoryMfaRepository } from './in-memory-mfa-repository.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const MIN = 60_000;
// 10 s into a 30 s step.
const T0 = 1_700_000_000_000;
const SUBJECT = 'ext:201';

function setup(options: Partial<MfaServiceOptions> = {}, repoOptions: { async?: boolean } = {}) {
  const repository = new InMemoryMfaRepository(repoOptions);
  const vault = new SecretVault(randomBytes(32));
  const service = new MfaService({ repository, vault }, { issuer: 'ACME PBX', backupCodeScrypt: FAST, ...options });
  return { repository, vault, service };
}

async function enrolledAndActive(options: Partial<MfaServiceOptions> = {}, repoOptions: { async?: boolean } = {}) {
  const ctx = setup(options, repoOptions);
  const enrollment = await ctx.service.enroll(SUBJECT, T0);
  const { algorithm, digits, period } = enrollment;
  const activation = await ctx.service.verifyEnrollment(SUBJECT, generateTotp({ secret: enrollment.secret, now: T0, algorithm, digits, period }), T0);
  expect(activation).toEqual({ ok: true });
  return { ...ctx, enrollment };
}

describe('MfaService: full flow', () => {
  it('enroll → pending (verify refused) → verifyEnrollment → verify → replay refused → backup code once → lockout', async () => {
    const { service, repository, vault } = setup();

    // Enroll.
    const e = await service.enroll(SUBJECT, T0);
    expect(e.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(e).toMatchObject({ subject: SUBJECT, algorithm: 'SHA1', digits: 6, period: 30, expiresAt: T0 + 15 * MIN });
    const uri = new URL(e.otpauthUri);
    expect(decodeURIComponent(uri.pathname)).toBe('/ACME PBX:ext 201');
    expect(uri.searchParams.get('secret')).toBe(e.secret);
    expect(e.qr.pngDataUrl.startsWith('data:image/png;base64,')).toBe(true);
    expect(e.qr.svg).toContain('<svg');
    expect(e.backupCodes).toHaveLength(10);

    // Stored: pending, secret encrypted and bound to the subject, codes hashed.
    const rec = repository.enrollments.get(SUBJECT);
    expect(rec).toMatchObject({ subject: SUBJECT, status: 'pending', lastAcceptedStep: null, createdAt: T0, activatedAt: null, algorithm: 'SHA1', digits: 6, period: 30 });
    expect(rec?.secretEnc).toMatch(/^v1:[0-9a-f]{8}:/);
    expect(JSON.stringify(rec)).not.toContain(e.secret);
    for (const code of e.backupCodes) expect(JSON.stringify(rec)).not.toContain(code.replace('-', ''));
    expect(rec?.backupCodeHashes.every((h) => h.startsWith('scrypt$1024$8$1$'))).toBe(true);
    expect(vault.decrypt(rec?.secretEnc ?? '', `totp:${SUBJECT}`)).toBe(e.secret);

    expect(await service.status(SUBJECT, T0)).toEqual({
      enrolled: true, active: false, pending: true, methods: [], backupCodesRemaining: 10,
      locked: false, lockedUntil: null, createdAt: T0, activatedAt: null,
    });

    // Pending: verify refuses, even with a right code or a backup code.
    const code0 = generateTotp({ secret: e.secret, now: T0 });
    expect(await service.verify(SUBJECT, code0, T0)).toEqual({ ok: false, reason: 'not-enrolled' });
    expect(await service.verify(SUBJECT, e.backupCodes[0] ?? '', T0)).toEqual({ ok: false, reason: 'not-enrolled' });

    // Activation: a backup code or a wrong code does not activate; the TOTP code does.
    expect(await service.verifyEnrollment(SUBJECT, e.backupCodes[0] ?? '', T0)).toEqual({ ok: false, reason: 'invalid' });
    const activation = await service.verifyEnrollment(SUBJECT, code0, T0 + 1000);
    expect(activation).toEqual({ ok: true });
    expect(repository.enrollments.get(SUBJECT)).toMatchObject({ status: 'active', activatedAt: T0 + 1000, lastAcceptedStep: timeStepAt(T0) });
    expect(repository.lockouts.has(SUBJECT)).toBe(false); // the success cleared the failure
    expect(await service.verifyEnrollment(SUBJECT, code0, T0 + 1000)).toEqual({ ok: false, reason: 'already-active' });

    const status = await service.status(SUBJECT, T0 + 1000);
    expect(status).toMatchObject({ enrolled: true, active: true, pending: false, methods: ['totp', 'backup-code'], backupCodesRemaining: 10, locked: false });

    // The activation code's step is spent.
    expect(await service.verify(SUBJECT, code0, T0 + 2000)).toEqual({ ok: false, method: 'totp', reason: 'replay' });

    // Next step: accepted once, then replay.
    const t1 = T0 + 30_000;
    const code1 = generateTotp({ secret: e.secret, now: t1 });
    expect(await service.verify(SUBJECT, code1, t1)).toEqual({ ok: true, method: 'totp', remainingBackupCodes: 10 });
    expect(repository.enrollments.get(SUBJECT)?.lastAcceptedStep).toBe(timeStepAt(t1));
    expect(await service.verify(SUBJECT, code1, t1 + 5000)).toEqual({ ok: false, method: 'totp', reason: 'replay' });
    // An older step after a newer one: replay too.
    expect(await service.verify(SUBJECT, code0, t1)).toMatchObject({ ok: false, reason: 'replay' });

    // A backup code works once (typed in lower case with a space), then not again.
    const backup = e.backupCodes[3] ?? '';
    const typed = backup.toLowerCase().replace('-', ' ');
    expect(await service.verify(SUBJECT, typed, t1)).toEqual({ ok: true, method: 'backup-code', remainingBackupCodes: 9 });
    expect(repository.enrollments.get(SUBJECT)?.backupCodeHashes).toHaveLength(9);
    expect(await service.verify(SUBJECT, backup, t1)).toEqual({ ok: false, method: 'backup-code', reason: 'invalid' });
    expect((await service.status(SUBJECT, t1)).backupCodesRemaining).toBe(9);

    // One failure is on record (the reused backup code; the backup-code success cleared the
    // replays before it). An admin reset clears it; then 5 failures in the window lock for 15 minutes.
    expect(repository.lockouts.get(SUBJECT)?.failures).toHaveLength(1);
    const t2 = t1 + MIN;
    await service.resetLockout(SUBJECT);
    expect(repository.lockouts.has(SUBJECT)).toBe(false);
    const wrong = code1 === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 4; i++) {
      expect(await service.verify(SUBJECT, wrong, t2 + i)).toEqual({ ok: false, method: 'totp', reason: 'invalid' });
    }
    const fifth = await service.verify(SUBJECT, 'not a code', t2 + 5);
    expect(fifth).toEqual({ ok: false, reason: 'invalid', lockedUntil: t2 + 5 + 15 * MIN });

    // Locked: even a right code (or a backup code) is refused without being checked.
    const t3 = t2 + 2 * MIN;
    const code3 = generateTotp({ secret: e.secret, now: t3 });
    expect(await service.verify(SUBJECT, code3, t3)).toEqual({ ok: false, reason: 'locked', lockedUntil: t2 + 5 + 15 * MIN });
    expect(await service.verify(SUBJECT, e.backupCodes[5] ?? '', t3)).toEqual({ ok: false, reason: 'locked', lockedUntil: t2 + 5 + 15 * MIN });
    expect(repository.enrollments.get(SUBJECT)?.backupCodeHashes).toHaveLength(9);
    expect(await service.status(SUBJECT, t3)).toMatchObject({ locked: true, lockedUntil: t2 + 5 + 15 * MIN });

    // Unlocked exactly at lockedUntil; the success clears the lockout state.
    const t4 = t2 + 5 + 15 * MIN;
    const code4 = generateTotp({ secret: e.secret, now: t4 });
    expect(await service.verify(SUBJECT, code4, t4)).toEqual({ ok: true, method: 'totp', remainingBackupCodes: 9 });
    expect(repository.lockouts.has(SUBJECT)).toBe(false);
    expect((await service.status(SUBJECT, t4)).locked).toBe(false);
  });
});

describe('MfaService: enrollment rules', () => {
  it('refuses to enroll over an active enrollment; restarting a pending one replaces the secret', async () => {
    const { service, repository } = setup();
    const first = await service.enroll(SUBJECT, T0);
    const second = await service.enroll(SUBJECT, T0 + 1000);
    expect(second.secret).not.toBe(first.secret);
    expect(second.backupCodes).not.toEqual(first.backupCodes);
    // The first secret no longer activates.
    const stale = generateTotp({ secret: first.secret, now: T0 + 1000 });
    expect(await service.verifyEnrollment(SUBJECT, stale, T0 + 1000)).toMatchObject({ ok: false });
    expect(await service.verifyEnrollment(SUBJECT, generateTotp({ secret: second.secret, now: T0 + 1000 }), T0 + 1000)).toEqual({ ok: true });
    await expect(service.enroll(SUBJECT, T0 + 2000)).rejects.toThrow(MfaStateError);
    await expect(service.enroll(SUBJECT, T0 + 2000)).rejects.toMatchObject({ code: 'already-active' });
    expect(repository.enrollments.get(SUBJECT)?.status).toBe('active');
  });

  it('a pending enrollment expires', async () => {
    const { service, repository } = setup({ enrollmentTtlMs: 10 * MIN });
    const e = await service.enroll(SUBJECT, T0);
    const late = T0 + 10 * MIN;
    expect((await service.status(SUBJECT, late)).enrolled).toBe(false);
    expect(await service.verifyEnrollment(SUBJECT, generateTotp({ secret: e.secret, now: late }), late)).toEqual({ ok: false, reason: 'expired' });
    expect(repository.enrollments.has(SUBJECT)).toBe(false);
    expect(await service.verifyEnrollment(SUBJECT, '123456', late)).toEqual({ ok: false, reason: 'not-enrolled' });
  });

  it('verifyEnrollment: malformed / wrong codes count toward the lockout', async () => {
    const { service } = setup();
    const e = await service.enroll(SUBJECT, T0);
    for (let i = 0; i < 4; i++) expect(await service.verifyEnrollment(SUBJECT, '12', T0)).toEqual({ ok: false, reason: 'invalid' });
    expect(await service.verifyEnrollment(SUBJECT, 'abcdef', T0)).toEqual({ ok: false, reason: 'invalid', lockedUntil: T0 + 15 * MIN });
    const right = generateTotp({ secret: e.secret, now: T0 });
    expect(await service.verifyEnrollment(SUBJECT, right, T0)).toEqual({ ok: false, reason: 'locked', lockedUntil: T0 + 15 * MIN });
  });

  it('unknown subject: not enrolled everywhere', async () => {
    const { service } = setup();
    expect(await service.verify('ext:999', '123456', T0)).toEqual({ ok: false, reason: 'not-enrolled' });
    expect(await service.verifyEnrollment('ext:999', '123456', T0)).toEqual({ ok: false, reason: 'not-enrolled' });
    expect(await service.status('ext:999', T0)).toEqual({
      enrolled: false, active: false, pending: false, methods: [], backupCodesRemaining: 0,
      locked: false, lockedUntil: null, createdAt: null, activatedAt: null,
    });
    await expect(service.regenerateBackupCodes('ext:999')).rejects.toMatchObject({ code: 'not-enrolled' });
    expect(await service.disable('ext:999')).toBe(false);
  });

  it('validates subjects and times', async () => {
    const { service } = setup();
    for (const bad of ['', ' ext:1', 'ext\n1', 'x'.repeat(129)]) {
      await expect(service.enroll(bad, T0)).rejects.toThrow(TypeError);
    }
    await expect(service.enroll(SUBJECT, -1)).rejects.toThrow(RangeError);
    await expect(service.verify(SUBJECT, '123456', Number.NaN)).rejects.toThrow(RangeError);
  });

  it('rejects bad options at construction', () => {
    expect(() => setup({ issuer: 'a:b' })).toThrow(TypeError);
    expect(() => setup({ window: 20 })).toThrow(RangeError);
    expect(() => setup({ secretBytes: 10 })).toThrow(RangeError);
    expect(() => setup({ lockout: { maxFailures: 0 } })).toThrow(RangeError);
  });
});

describe('MfaService: other operations', () => {
  it('disable removes the enrollment and the lockout', async () => {
    const { service, repository, enrollment } = await enrolledAndActive();
    await service.verify(SUBJECT, 'nope', T0);
    expect(repository.lockouts.has(SUBJECT)).toBe(true);
    expect(await service.disable(SUBJECT)).toBe(true);
    expect(repository.enrollments.has(SUBJECT)).toBe(false);
    expect(repository.lockouts.has(SUBJECT)).toBe(false);
    const t = T0 + 60_000;
    expect(await service.verify(SUBJECT, generateTotp({ secret: enrollment.secret, now: t }), t)).toEqual({ ok: false, reason: 'not-enrolled' });
    expect((await service.status(SUBJECT, t)).enrolled).toBe(false);
    // Can enroll again.
    await expect(service.enroll(SUBJECT, t)).resolves.toMatchObject({ subject: SUBJECT });
  });

  it('regenerateBackupCodes invalidates the old codes', async () => {
    const { service, enrollment } = await enrolledAndActive({ backupCodeCount: 4 });
    expect(enrollment.backupCodes).toHaveLength(4);
    const fresh = await service.regenerateBackupCodes(SUBJECT);
    expect(fresh).toHaveLength(4);
    expect(fresh.some((c) => enrollment.backupCodes.includes(c))).toBe(false);
    expect(await service.verify(SUBJECT, enrollment.backupCodes[0] ?? '', T0)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await service.verify(SUBJECT, fresh[0] ?? '', T0)).toEqual({ ok: true, method: 'backup-code', remainingBackupCodes: 3 });
  });

  it('status lists only totp when backup codes are used up', async () => {
    const { service, enrollment } = await enrolledAndActive({ backupCodeCount: 1 });
    expect(await service.verify(SUBJECT, enrollment.backupCodes[0] ?? '', T0)).toEqual({ ok: true, method: 'backup-code', remainingBackupCodes: 0 });
    expect(await service.status(SUBJECT, T0)).toMatchObject({ methods: ['totp'], backupCodesRemaining: 0 });
  });

  it('SHA256 / 8 digits / 60 s as service options', async () => {
    const { service, enrollment } = await enrolledAndActive({ algorithm: 'SHA256', digits: 8, period: 60 });
    expect(enrollment).toMatchObject({ algorithm: 'SHA256', digits: 8, period: 60 });
    const u = new URL(enrollment.otpauthUri);
    expect(u.searchParams.get('algorithm')).toBe('SHA256');
    expect(u.searchParams.get('digits')).toBe('8');
    expect(u.searchParams.get('period')).toBe('60');
    const t = T0 + 60_000;
    const code = generateTotp({ secret: enrollment.secret, now: t, algorithm: 'SHA256', digits: 8, period: 60 });
    expect(code).toHaveLength(8);
    expect(await service.verify(SUBJECT, code, t)).toMatchObject({ ok: true, method: 'totp' });
    // A 6-digit input is neither a TOTP code nor a backup code here.
    expect(await service.verify(SUBJECT, code.slice(0, 6), t)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a secret moved to another subject does not decrypt (AAD binding)', async () => {
    const { service, repository } = await enrolledAndActive();
    await service.enroll('ext:202', T0);
    const victim = repository.enrollments.get('ext:202');
    const attacker = repository.enrollments.get(SUBJECT);
    if (!victim || !attacker) throw new Error('setup');
    repository.enrollments.set('ext:202', { ...victim, secretEnc: attacker.secretEnc, status: 'active', activatedAt: T0 });
    await expect(service.verify('ext:202', '123456', T0 + 60_000)).rejects.toThrow(VAULT_DECRYPT_MESSAGE);
  });

  it('a service with the wrong vault key fails loudly, not as "invalid code"', async () => {
    const { repository, enrollment } = await enrolledAndActive();
    const other = new MfaService({ repository, vault: new SecretVault(randomBytes(32)) }, { issuer: 'ACME PBX', backupCodeScrypt: FAST });
    const t = T0 + 60_000;
    await expect(other.verify(SUBJECT, generateTotp({ secret: enrollment.secret, now: t }), t)).rejects.toThrow(VAULT_DECRYPT_MESSAGE);
  });

  it('a corrupted record is reported, not used', async () => {
    const { service, repository } = await enrolledAndActive();
    const rec = repository.enrollments.get(SUBJECT);
    if (!rec) throw new Error('setup');
    repository.enrollments.set(SUBJECT, { ...rec, digits: 7 as 6 });
    await expect(service.verify(SUBJECT, '123456', T0)).rejects.toThrow(/record for ext:201 is invalid: digits/);
  });
});

describe('MfaService: concurrency', () => {
  it('the same TOTP code sent twice at once is accepted once', async () => {
    const { service, enrollment } = await enrolledAndActive({}, { async: true });
    const t = T0 + 30_000;
    const code = generateTotp({ secret: enrollment.secret, now: t });
    const results = await Promise.all([service.verify(SUBJECT, code, t), service.verify(SUBJECT, code, t), service.verify(SUBJECT, code, t)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => r.reason === 'replay')).toHaveLength(2);
  });

  it('the same backup code sent twice at once is accepted once', async () => {
    const { service, enrollment } = await enrolledAndActive({}, { async: true });
    const code = enrollment.backupCodes[0] ?? '';
    const results = await Promise.all([service.verify(SUBJECT, code, T0), service.verify(SUBJECT, code, T0)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect((await service.status(SUBJECT, T0)).backupCodesRemaining).toBe(9);
  });

  it('parallel wrong guesses cannot exceed the lockout', async () => {
    const { service, enrollment } = await enrolledAndActive({}, { async: true });
    const t = T0 + 30_000;
    const right = generateTotp({ secret: enrollment.secret, now: t });
    const guesses = Array.from({ length: 20 }, (_, i) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0'));
    const results = await Promise.all(guesses.map((g) => service.verify(SUBJECT, g, t)));
    expect(results.filter((r) => r.reason === 'invalid')).toHaveLength(5);
    expect(results.filter((r) => r.reason === 'locked')).toHaveLength(15);
  });
});
