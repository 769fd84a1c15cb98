/**
 * `admin_api`: who may use the admin HTTP API (/api/v1) and how /metrics and /healthz are protected.
 *
 * Tokens are never stored in clear: the config holds the SHA-256 (hex) of each bearer
 * token, produced by `sipwarden hash-token`. A token has a role: `read` (GET only)
 * or `admin` (everything).
 *
 * ```yaml
 * admin_api:
 *   tokens:
 *     - name: grafana
 *       sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
 *       role: read
 *     - name: ops
 *       sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *       role: admin
 *   metrics_auth: open        # open | token (any valid token)
 *   health_auth: open         # open | token
 *   brute_force:
 *     max_failures: 10        # failed logins from one source IP...
 *     window: 10m             # ...within this window...
 *     block_for: 10m          # ...block that IP (blocklist source "admin-auth") this long
 *   default_block_duration: 1h  # POST /api/v1/security/blocks without duration/permanent
 * ```
 */
import { z } from 'zod';
import { duration } from '../duration.js';

export const adminApiTokenSchema = z.strictObject({
  /** Shown in logs and audit events; never the token itself. */
  name: z.string().trim().min(1).max(64).regex(/^[\w.@-]+$/, 'use letters, digits, ".", "_", "-", "@"'),
  /** SHA-256 of the bearer token, 64 hex digits (`sipwarden hash-token`). */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be the 64-hex-digit SHA-256 of the token (run `sipwarden hash-token`), never the token itself')
    .transform((hex) => hex.toLowerCase()),
  /** read: GET only; admin: everything; mfa: the PBX portal, /api/v1/mfa only. */
  role: z.enum(['read', 'admin', 'mfa']),
});

export const adminApiBruteForceSchema = z.strictObject({
  max_failures: z.number().int().min(1).max(10_000).default(10),
  window: duration().default(600_000),
  block_for: duration().default(600_000),
});

export const adminApiSection = z
  .strictObject({
    tokens: z.array(adminApiTokenSchema).default([]),
    metrics_auth: z.enum(['open', 'token']).default('open'),
    health_auth: z.enum(['open', 'token']).default('open'),
    brute_force: adminApiBruteForceSchema.prefault({}),
    default_block_duration: duration().default(3_600_000),
  })
  .superRefine((section, ctx) => {
    const names = new Set<string>();
    const hashes = new Set<string>();
    section.tokens.forEach((token, i) => {
      if (names.has(token.name)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'name'], message: `duplicate token name "${token.name}"` });
      if (hashes.has(token.sha256)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'sha256'], message: 'the same token hash appears twice' });
      names.add(token.name);
      hashes.add(token.sha256);
    });
  });

export type AdminApiConfig = z.output<typeof adminApiSection>;
export type AdminApiToken = z.output<typeof adminApiTokenSchema>;
export type AdminApiRole = AdminApiToken['role'];
