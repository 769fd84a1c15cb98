/**
 * /api/v1/mfa (TOTP for PBX extensions, called by the PBX portal with an `mfa` or `admin` token)
 * and /api/v1/auth/login (admin users: name, password and a second factor -> session token).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../../clock.js';
import { MfaStateError, type MfaEnrollment, type MfaService, type MfaStatus, type MfaVerifyResult } from '../../../mfa/index.js';
import { normalizeIp } from '../../../net/ip.js';
import { principalOf, sourceIp } from '../access.js';
import type { ApiFeature } from '../deps.js';
import { ApiError } from '../errors.js';
import { commonErrors, iso, isoOrNull, json } from '../schemas.js';
import type { ApiInstance } from './types.js';

/** What the routes need from the MFA feature. */
export interface MfaAdmin {
  readonly extensions: MfaService;
  /** Subject of an extension in the MFA store. */
  subjectOf(extension: string): string;
  /** After every verification of an extension's code (metrics, events, auth failures of clientIp). */
  verified(extension: string, result: MfaVerifyResult, clientIp: string | null, now: number): void;
  enrolled(extension: string, event: 'mfa-enroll' | 'mfa-activate' | 'mfa-disable', now: number): void;
  /** Admin login: a session token, or null (and the failure counted against the source IP). */
  login(name: string, password: string, code: string, ip: string, now: number): Promise<{ token: string; expiresAt: number } | null>;
}

const TAG = ['mfa'];
const extensionParam = z.strictObject({ extension: z.string().min(1).max(64).regex(/^[\w.+@-]+$/, 'letters, digits and . _ + @ -') });
const code = z.string().min(6).max(32).meta({ description: 'a TOTP code (6 or 8 digits) or a backup code (XXXXX-XXXXX)' });
const clientIp = z
  .string()
  .max(45)
  .refine((value) => value === value.trim() && normalizeIp(value) !== null, 'clientIp must be one IP address (e.g. 192.0.2.7 or 2001:db8::7), not a range, a name or empty')
  .optional()
  .meta({ description: "the end user's address, as the portal saw it: failures count against it" });

const enrollmentOut = z.object({
  extension: z.string(),
  secret: z.string(),
  otpauthUri: z.string(),
  qr: z.object({ pngDataUrl: z.string(), svg: z.string() }),
  backupCodes: z.array(z.string()),
  algorithm: z.string(),
  digits: z.number().int(),
  period: z.number().int(),
  expiresAt: z.string(),
});
const verifyOut = z.object({
  ok: z.boolean(),
  method: z.string().optional(),
  reason: z.string().optional(),
  lockedUntil: z.string().optional(),
  remainingBackupCodes: z.number().int().optional(),
});
const statusOut = z.object({
  extension: z.string(),
  enrolled: z.boolean(),
  active: z.boolean(),
  pending: z.boolean(),
  methods: z.array(z.string()),
  backupCodesRemaining: z.number().int(),
  locked: z.boolean(),
  lockedUntil: z.string().nullable(),
  createdAt: z.string().nullable(),
  activatedAt: z.string().nullable(),
});

function enrollmentJson(extension: string, e: MfaEnrollment) {
  return { extension, secret: e.secret, otpauthUri: e.otpauthUri, qr: e.qr, backupCodes: e.backupCodes, algorithm: e.algorithm, digits: e.digits, period: e.period, expiresAt: iso(e.expiresAt) };
}

function verifyJson(r: MfaVerifyResult) {
  return {
    ok: r.ok,
    ...(r.method === undefined ? {} : { method: r.method }),
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    ...(r.lockedUntil === undefined ? {} : { lockedUntil: iso(r.lockedUntil) }),
    ...(r.remainingBackupCodes === undefined ? {} : { remainingBackupCodes: r.remainingBackupCodes }),
  };
}

function statusJson(extension: string, s: MfaStatus) {
  return { extension, ...s, lockedUntil: isoOrNull(s.lockedUntil), createdAt: isoOrNull(s.createdAt), activatedAt: isoOrNull(s.activatedAt) };
}

function stateError<T>(fn: () => Promise<T>): Promise<T> {
  return fn().catch((err: unknown) => {
    if (err instanceof MfaStateError) throw new ApiError(err.code === 'already-active' ? 409 : 404, err.code === 'already-active' ? 'conflict' : 'not-found', err.message);
    throw err;
  });
}

export function mfaApi(admin: MfaAdmin, clock: Clock): ApiFeature {
  const svc = admin.extensions;

  /** Admins may act alone; the portal (mfa role) must show a valid code of the extension. */
  async function authorisedByCode(request: FastifyRequest, extension: string, given: string | undefined): Promise<void> {
    if (principalOf(request)?.role === 'admin') return;
    if (given === undefined) throw new ApiError(403, 'forbidden', 'a valid code of the extension is needed (or an admin token)');
    const now = clock();
    const result = await svc.verify(admin.subjectOf(extension), given, now);
    admin.verified(extension, result, null, now);
    if (!result.ok) throw new ApiError(403, 'forbidden', `the code was not accepted (${result.reason ?? 'invalid'})`);
  }

  return {
    tag: { name: 'mfa', description: 'TOTP second factor for extensions (PBX portal) and admin login' },
    register(api: ApiInstance) {
      api.post(
        '/mfa/extensions/:extension/enroll',
        { schema: { tags: TAG, summary: 'Start enrollment: secret, otpauth URI, QR (PNG data URL and SVG), backup codes. Active only after verify-enrollment.', params: extensionParam, response: { 201: json('The enrollment (shown once)', enrollmentOut), ...commonErrors, 409: json('MFA already active', z.object({ error: z.string(), message: z.string() })) } } },
        async (request, reply) => {
          const { extension } = request.params;
          const now = clock();
          const enrollment = await stateError(() => svc.enroll(admin.subjectOf(extension), now));
          admin.enrolled(extension, 'mfa-enroll', now);
          return reply.code(201).send(enrollmentJson(extension, enrollment));
        },
      );
      api.post(
        '/mfa/extensions/:extension/verify-enrollment',
        { schema: { tags: TAG, summary: 'Confirm enrollment with a code from the authenticator: MFA becomes active', params: extensionParam, body: z.strictObject({ code }), response: { 200: json('Result', verifyOut), ...commonErrors } } },
        async (request) => {
          const { extension } = request.params;
          const now = clock();
          const result = await svc.verifyEnrollment(admin.subjectOf(extension), request.body.code, now);
          if (result.ok) admin.enrolled(extension, 'mfa-activate', now);
          return { ok: result.ok, ...(result.reason ? { reason: result.reason } : {}), ...(result.lockedUntil ? { lockedUntil: iso(result.lockedUntil) } : {}) };
        },
      );
      api.post(
        '/mfa/extensions/:extension/verify',
        { schema: { tags: TAG, summary: 'Verify a TOTP or backup code (RFC 6238; replayed time steps refused; lockout after repeated failures)', params: extensionParam, body: z.strictObject({ code, clientIp }), response: { 200: json('Result', verifyOut), ...commonErrors } } },
        async (request) => {
          const { extension } = request.params;
          const now = clock();
          const result = await svc.verify(admin.subjectOf(extension), request.body.code, now);
          admin.verified(extension, result, request.body.clientIp === undefined ? null : normalizeIp(request.body.clientIp), now);
          return verifyJson(result);
        },
      );
      api.get(
        '/mfa/extensions/:extension',
        { schema: { tags: TAG, summary: 'MFA status and methods of an extension', params: extensionParam, response: { 200: json('Status', statusOut), ...commonErrors } } },
        async (request) => statusJson(request.params.extension, await svc.status(admin.subjectOf(request.params.extension), clock())),
      );
      api.post(
        '/mfa/extensions/:extension/disable',
        { schema: { tags: TAG, summary: 'Disable MFA (admin token, or the portal with a valid code of the extension)', params: extensionParam, body: z.strictObject({ code: code.optional() }).optional(), response: { 200: json('Disabled', z.object({ extension: z.string(), disabled: z.boolean() })), ...commonErrors } } },
        async (request) => {
          const { extension } = request.params;
          await authorisedByCode(request, extension, request.body?.code);
          const disabled = await svc.disable(admin.subjectOf(extension));
          if (!disabled) throw new ApiError(404, 'not-found', `no MFA enrollment for ${extension}`);
          admin.enrolled(extension, 'mfa-disable', clock());
          return { extension, disabled };
        },
      );
      api.post(
        '/mfa/extensions/:extension/backup-codes',
        { schema: { tags: TAG, summary: 'New backup codes (the old ones stop working)', params: extensionParam, body: z.strictObject({ code: code.optional() }).optional(), response: { 200: json('New codes (shown once)', z.object({ extension: z.string(), backupCodes: z.array(z.string()) })), ...commonErrors } } },
        async (request) => {
          const { extension } = request.params;
          await authorisedByCode(request, extension, request.body?.code);
          const backupCodes = await stateError(() => svc.regenerateBackupCodes(admin.subjectOf(extension)));
          return { extension, backupCodes };
        },
      );
      api.post(
        '/auth/login',
        {
          schema: {
            tags: TAG,
            summary: 'Admin user login: name, password and a TOTP or backup code -> a short-lived bearer token (role admin)',
            security: [],
            body: z.strictObject({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024), code }),
            response: { 200: json('Session', z.object({ token: z.string(), expiresAt: z.string() })), ...commonErrors },
          },
        },
        async (request, reply) => {
          const ip = sourceIp(request) ?? '0.0.0.0';
          const { name, password, code: given } = request.body;
          const session = await admin.login(name, password, given, ip, clock());
          if (session === null) return reply.code(401).send({ error: 'unauthorized', message: 'name, password or code not accepted' });
          return { token: session.token, expiresAt: iso(session.expiresAt) };
        },
      );
    },
  };
}
