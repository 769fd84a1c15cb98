/**
 * `mfa`: TOTP second factor for PBX extensions (the PBX portal calls /api/v1/mfa) and for
 * sipwarden's admin users (/api/v1/auth/login). Secrets are sealed with AES-256-GCM under a key
 * read from a file or an environment variable, never from this file.
 */
import { z } from 'zod';
import { duration } from '../duration.js';

export const mfaSection = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** File with the 32-byte key (64 hex characters): umask 077 && openssl rand -hex 32 > /etc/sipwarden/mfa.key */
    key_file: z.string().min(1).optional(),
    /** Environment variable with the key instead (wins over key_file when set). */
    key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name, e.g. SIPWARDEN_MFA_KEY').optional(),
    issuer: z.string().min(1).max(64).regex(/^[^:]+$/, 'must not contain ":"').default('sipwarden'),
    algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']).default('SHA1'),
    digits: z.union([z.literal(6), z.literal(8)]).default(6),
    period_seconds: z.number().int().min(15).max(120).default(30),
    /** Time steps accepted on each side of now. */
    window: z.number().int().min(0).max(3).default(1),
    backup_codes: z.number().int().min(4).max(20).default(10),
    lockout: z
      .strictObject({
        max_failures: z.number().int().min(1).default(5),
        window: duration().default(300_000),
        lock_for: duration().default(900_000),
      })
      .prefault({}),
    /** Lifetime of the session token POST /api/v1/auth/login returns. */
    admin_session_ttl: duration().default(900_000),
  })
  .superRefine((mfa, ctx) => {
    if (mfa.enabled && mfa.key_file === undefined && mfa.key_env === undefined) {
      ctx.addIssue({ code: 'custom', path: ['key_file'], message: 'MFA is enabled but no key is configured: set key_file (or key_env)' });
    }
  });

export type MfaConfig = z.output<typeof mfaSection>;
