/**
 * MFA wired into the daemon: the vault key loaded (and checked against the stored secrets) at
 * start, the extension TOTP service behind /api/v1/mfa, admin users' login with password and a
 * second factor, metrics and events. Failed extension codes count as authentication failures of
 * the end user's address; failed admin logins feed the admin-port brute-force guard.
 */
import { Counter } from 'prom-client';
import type { AdminSessions } from '../admin/auth.js';
import { mfaApi, type MfaAdmin } from '../admin/api/routes/mfa.js';
import type { Config } from '../config/index.js';
import type { Feature, FeatureContext } from '../feature.js';
import { loadVaultKey, MfaService, readSealedHeader, SecretVault, verifyPassword, type MfaServiceOptions, type MfaVerifyResult } from '../mfa/index.js';
import { SqliteMfaRepository } from '../store/mfa.js';

/** The MFA key cannot be used with this database: the message says what to do. */
export class MfaKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MfaKeyError';
  }
}

export interface MfaHooks {
  readonly sessions: AdminSessions;
  /** A wrong code for an extension, from the end user's address. */
  readonly reportAuthFailure: (ip: string, username: string, now: number) => void;
  /** A failed admin login from this address. */
  readonly adminLoginFailed: (ip: string, now: number, reason: string) => void;
}

export function mfaServiceOptions(config: Config): MfaServiceOptions {
  const m = config.mfa;
  return {
    issuer: m.issuer,
    algorithm: m.algorithm,
    digits: m.digits,
    period: m.period_seconds,
    window: m.window,
    backupCodeCount: m.backup_codes,
    lockout: { maxFailures: m.lockout.max_failures, windowMs: m.lockout.window, lockMs: m.lockout.lock_for },
    accountLabel: (subject) => subject.replace(/^(ext|admin):/, ''),
  };
}

/** Load the key and make sure every stored secret was sealed with it. */
export function openVault(config: Config, repository: SqliteMfaRepository): SecretVault {
  const source = { ...(config.mfa.key_file === undefined ? {} : { file: config.mfa.key_file }), ...(config.mfa.key_env === undefined ? {} : { env: config.mfa.key_env }) };
  let vault: SecretVault;
  try {
    vault = new SecretVault(loadVaultKey(source).key);
  } catch (err) {
    throw new MfaKeyError(`mfa: ${(err as Error).message}`);
  }
  const foreign = repository.allEnrollments().filter((r) => !vault.keyIds.includes(readSealedHeader(r.secretEnc)?.keyId ?? ''));
  if (foreign.length > 0) {
    const ids = [...new Set(foreign.map((r) => readSealedHeader(r.secretEnc)?.keyId ?? 'unreadable'))].join(', ');
    throw new MfaKeyError(
      `mfa: ${foreign.length} stored MFA secret(s) were sealed with key ${ids}, but the configured key is ${vault.keyId}: ` +
        'configure the key they were sealed with (or re-encrypt them with `sipwarden mfa rotate-key`)',
    );
  }
  return vault;
}

export class MfaFeature implements Feature, MfaAdmin {
  readonly name = 'mfa';
  readonly api;
  readonly extensions: MfaService;
  private readonly admins: MfaService;
  private readonly repository: SqliteMfaRepository;
  private readonly verifications: Counter<'kind' | 'result'>;

  constructor(
    private readonly context: FeatureContext,
    private readonly hooks: MfaHooks,
  ) {
    this.repository = new SqliteMfaRepository(context.db);
    const vault = openVault(context.config, this.repository);
    const options = mfaServiceOptions(context.config);
    this.extensions = new MfaService({ repository: this.repository, vault }, options);
    this.admins = new MfaService({ repository: this.repository, vault }, { ...options, issuer: `${options.issuer} admin` });
    this.verifications = new Counter({
      name: 'sipwarden_mfa_verifications_total',
      help: 'MFA code verifications by subject kind (extension, admin) and result (ok, invalid, replay, locked, not-enrolled)',
      labelNames: ['kind', 'result'] as const,
      registers: [context.metrics.registry],
    });
    this.api = mfaApi(this, context.clock);
    context.logger.info({ keyId: vault.keyId }, 'MFA enabled');
  }

  subjectOf(extension: string): string {
    return `ext:${extension}`;
  }

  verified(extension: string, result: MfaVerifyResult, clientIp: string | null, now: number): void {
    this.verifications.inc({ kind: 'extension', result: result.ok ? 'ok' : (result.reason ?? 'invalid') });
    const type = result.ok ? 'mfa-success' : result.lockedUntil !== undefined ? 'mfa-lockout' : 'mfa-failure';
    this.context.events.record({
      type,
      severity: result.ok ? 'info' : result.lockedUntil !== undefined ? 'high' : 'low',
      ip: clientIp,
      username: extension,
      method: null,
      details: { method: result.method ?? null, reason: result.reason ?? null, lockedUntil: result.lockedUntil ?? null },
      at: now,
    });
    if (!result.ok && result.reason !== 'not-enrolled' && clientIp !== null) this.hooks.reportAuthFailure(clientIp, extension, now);
  }

  enrolled(extension: string, event: 'mfa-enroll' | 'mfa-activate' | 'mfa-disable', now: number): void {
    this.context.events.record({ type: event, severity: 'info', ip: null, username: extension, method: null, details: {}, at: now });
    this.context.logger.info({ extension, event }, 'MFA enrollment changed');
  }

  async login(name: string, password: string, code: string, ip: string, now: number): Promise<{ token: string; expiresAt: number } | null> {
    const user = this.repository.getAdmin(name);
    const passwordOk = await verifyPassword(password, user?.passwordHash ?? null);
    const subject = `admin:${name}`;
    let secondFactor = false;
    if (passwordOk) {
      const status = await this.admins.status(subject, now);
      if (status.pending) secondFactor = (await this.admins.verifyEnrollment(subject, code, now)).ok;
      else if (status.active) secondFactor = (await this.admins.verify(subject, code, now)).ok;
    }
    this.verifications.inc({ kind: 'admin', result: passwordOk && secondFactor ? 'ok' : 'invalid' });
    if (!passwordOk || !secondFactor) {
      const reason = passwordOk ? 'wrong second factor' : 'wrong name or password';
      this.hooks.adminLoginFailed(ip, now, reason);
      this.context.logger.warn({ ip, name, reason }, 'admin login failed');
      return null;
    }
    this.context.logger.info({ ip, name }, 'admin logged in');
    return this.hooks.sessions.open(name, now);
  }
}
