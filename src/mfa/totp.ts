/**
 * RFC 6238 TOTP over otplib 13.
 *
 * Everything otplib-specific lives here: its lowercase algorithm names, its
 * epoch in *seconds*, its `afterTimeStep` replay guard (which throws when the
 * guard is beyond the window), its token validation (which throws on a
 * malformed token) and its "strings are Base32" rule. Callers pass time in
 * milliseconds and get plain results back, never an exception for bad input
 * codes.
 *
 * Pure: no clock reads, no I/O. `generateTotpSecret` is the only function that
 * uses randomness.
 */
import { ScureBase32Plugin, generateSecret, generateSync, generateURI, verifySync } from 'otplib';
import type { HashAlgorithm } from 'otplib';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';
export type TotpDigits = 6 | 8;

export const TOTP_ALGORITHMS: readonly TotpAlgorithm[] = Object.freeze(['SHA1', 'SHA256', 'SHA512']);

/** Parameters an authenticator app must agree on. Stored with each enrollment. */
export interface TotpParams {
  algorithm: TotpAlgorithm;
  digits: TotpDigits;
  /** Time step in seconds. */
  period: number;
}

/** What every common authenticator app supports (RFC 6238 / Google Authenticator defaults). */
export const DEFAULT_TOTP_PARAMS: Readonly<TotpParams> = Object.freeze({ algorithm: 'SHA1', digits: 6, period: 30 });

/** Default verification window: this many steps each way (RFC 6238 §5.2 recommends at most one). */
export const DEFAULT_TOTP_WINDOW = 1;
/** Largest accepted window; a wide window multiplies the chance of guessing a code. */
export const MAX_TOTP_WINDOW = 10;

/** Minimum secret size we generate (RFC 4226 recommends 160 bits; otplib refuses < 16 bytes). */
export const MIN_SECRET_BYTES = 20;
export const MAX_SECRET_BYTES = 64;

/**
 * A TOTP key: a Base32 string (as shown to users and stored, case, spaces and
 * `=` padding tolerated) or the raw key bytes.
 */
export type TotpSecret = string | Uint8Array;

const base32 = new ScureBase32Plugin();
const BASE32_RE = /^[A-Z2-7]+$/;
const MAX_CODE_INPUT_LENGTH = 32;

/** Recommended key size per algorithm (RFC 4226 §4 / RFC 6238 reference: the hash output size). */
export function recommendedSecretBytes(algorithm: TotpAlgorithm): number {
  switch (algorithm) {
    case 'SHA1':
      return 20;
    case 'SHA256':
      return 32;
    case 'SHA512':
      return 64;
  }
}

/** A fresh random secret (CSPRNG), Base32 without padding. `bytes` defaults to 20 and must be 20..64. */
export function generateTotpSecret(bytes: number = MIN_SECRET_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    throw new RangeError(`TOTP secret size must be an integer from ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes, got ${bytes}`);
  }
  return generateSecret({ length: bytes });
}

/** Base32 (no padding) of raw key bytes. */
export function secretToBase32(bytes: Uint8Array): string {
  return base32.encode(bytes, { padding: false });
}

/** Raw key bytes of a Base32 secret (normalised: case, spaces, `=` padding). Throws on a non-Base32 string. */
export function secretFromBase32(secret: string): Uint8Array {
  return base32.decode(normaliseBase32(secret));
}

/** Raw key bytes of an ASCII secret, as printed in the RFC 6238 appendix ("12345678901234567890"). */
export function secretFromAscii(ascii: string): Uint8Array {
  return new Uint8Array(Buffer.from(ascii, 'latin1'));
}

function normaliseBase32(secret: string): string {
  const s = secret.replace(/[\s=]/g, '').toUpperCase();
  if (s.length === 0 || !BASE32_RE.test(s)) {
    throw new TypeError('TOTP secret is not a Base32 string (A-Z, 2-7)');
  }
  return s;
}

function toOtplibSecret(secret: TotpSecret): string | Uint8Array {
  return typeof secret === 'string' ? normaliseBase32(secret) : secret;
}

function toOtplibAlgorithm(algorithm: TotpAlgorithm): HashAlgorithm {
  switch (algorithm) {
    case 'SHA1':
      return 'sha1';
    case 'SHA256':
      return 'sha256';
    case 'SHA512':
      return 'sha512';
    default:
      throw new TypeError(`unsupported TOTP algorithm ${JSON.stringify(algorithm)} (expected SHA1, SHA256 or SHA512)`);
  }
}

function checkDigits(digits: number): TotpDigits {
  if (digits !== 6 && digits !== 8) throw new RangeError(`TOTP digits must be 6 or 8, got ${digits}`);
  return digits;
}

function checkPeriod(period: number): number {
  if (!Number.isInteger(period) || period < 1 || period > 3600) {
    throw new RangeError(`TOTP period must be an integer number of seconds from 1 to 3600, got ${period}`);
  }
  return period;
}

function checkNow(now: number): number {
  if (!Number.isFinite(now) || now < 0) throw new RangeError(`time must be a non-negative number of milliseconds, got ${now}`);
  return now;
}

function epochSeconds(nowMs: number): number {
  return Math.floor(checkNow(nowMs) / 1000);
}

/** The RFC 6238 time step T = floor(unixSeconds / period) at `now` (ms). */
export function timeStepAt(now: number, period: number = DEFAULT_TOTP_PARAMS.period): number {
  return Math.floor(epochSeconds(now) / checkPeriod(period));
}

export interface ProvisioningUriOptions extends Partial<TotpParams> {
  /** Base32 secret. */
  secret: string;
  /** Service name shown by the app, e.g. "sipwarden" or "ACME PBX". */
  issuer: string;
  /** Account name shown under the issuer, e.g. "ext 201". Do not prefix it with the issuer: the URI does that. */
  account: string;
}

/**
 * `otpauth://totp/<issuer>:<account>?secret=…&issuer=…[&algorithm=…][&digits=…][&period=…]`
 * (Key Uri Format). Parameters equal to the defaults are omitted by otplib, which
 * is what authenticator apps expect.
 */
export function provisioningUri(options: ProvisioningUriOptions): string {
  const { issuer, account } = options;
  if (issuer.trim() === '' || issuer.includes(':')) throw new TypeError('issuer must be non-empty and must not contain ":"');
  if (account.trim() === '') throw new TypeError('account must be non-empty');
  const algorithm = options.algorithm ?? DEFAULT_TOTP_PARAMS.algorithm;
  const digits = checkDigits(options.digits ?? DEFAULT_TOTP_PARAMS.digits);
  const period = checkPeriod(options.period ?? DEFAULT_TOTP_PARAMS.period);
  return generateURI({
    issuer,
    label: account,
    secret: normaliseBase32(options.secret),
    algorithm: toOtplibAlgorithm(algorithm),
    digits,
    period,
  });
}

export interface GenerateTotpOptions extends Partial<TotpParams> {
  secret: TotpSecret;
  /** Milliseconds since the Unix epoch. */
  now: number;
}

/** The code an authenticator shows at `now` (used by tests and by tooling, never needed to verify). */
export function generateTotp(options: GenerateTotpOptions): string {
  return generateSync({
    secret: toOtplibSecret(options.secret),
    algorithm: toOtplibAlgorithm(options.algorithm ?? DEFAULT_TOTP_PARAMS.algorithm),
    digits: checkDigits(options.digits ?? DEFAULT_TOTP_PARAMS.digits),
    period: checkPeriod(options.period ?? DEFAULT_TOTP_PARAMS.period),
    epoch: epochSeconds(options.now),
  });
}

export interface VerifyTotpOptions extends Partial<TotpParams> {
  secret: TotpSecret;
  /** What the user typed. Spaces are ignored ("123 456"); anything else that is not `digits` digits is malformed. */
  code: string;
  /** Milliseconds since the Unix epoch. */
  now: number;
  /** Steps accepted each way around the current one (default 1, max 10). */
  window?: number;
  /** The last time step accepted for this secret; this step and every earlier one are refused. */
  lastAcceptedStep: number | null;
}

export type TotpVerifyResult =
  | { valid: true; /** The time step the code belongs to: store it as the next `lastAcceptedStep`. */ step: number }
  | { valid: false; reason: 'invalid' | 'replay' | 'malformed' };

/** Strip the spaces users type or paste; return null if the rest is not exactly `digits` ASCII digits. */
export function normaliseTotpCode(code: unknown, digits: TotpDigits): string | null {
  if (typeof code !== 'string' || code.length > MAX_CODE_INPUT_LENGTH) return null;
  const c = code.replace(/\s/g, '');
  return c.length === digits && /^[0-9]+$/.test(c) ? c : null;
}

/**
 * Verify a code in [step - window, step + window], never accepting a step
 * <= `lastAcceptedStep` (a replay, even inside the window).
 *
 * Result reasons: `malformed` (not `digits` digits, checked before any HMAC),
 * `replay` (the code is right but for a step already used or older than the
 * last used one), `invalid` (otherwise).
 *
 * Throws only for caller bugs: bad params, a non-Base32 or too-short secret, a bad `now`.
 */
export function verifyTotp(options: VerifyTotpOptions): TotpVerifyResult {
  const algorithm = toOtplibAlgorithm(options.algorithm ?? DEFAULT_TOTP_PARAMS.algorithm);
  const digits = checkDigits(options.digits ?? DEFAULT_TOTP_PARAMS.digits);
  const period = checkPeriod(options.period ?? DEFAULT_TOTP_PARAMS.period);
  const window = options.window ?? DEFAULT_TOTP_WINDOW;
  if (!Number.isInteger(window) || window < 0 || window > MAX_TOTP_WINDOW) {
    throw new RangeError(`TOTP window must be an integer from 0 to ${MAX_TOTP_WINDOW} steps, got ${window}`);
  }
  const last = options.lastAcceptedStep;
  if (last !== null && !Number.isSafeInteger(last)) {
    throw new RangeError(`lastAcceptedStep must be an integer or null, got ${last}`);
  }
  const epoch = epochSeconds(options.now);
  const secret = toOtplibSecret(options.secret);

  const token = normaliseTotpCode(options.code, digits);
  if (token === null) return { valid: false, reason: 'malformed' };

  // epochTolerance = window * period seconds covers exactly the steps
  // current-window .. current+window (t0 = 0, epoch on whole seconds).
  const common = { secret, token, algorithm, digits, period, epoch, epochTolerance: window * period } as const;
  const maxStep = Math.floor((epoch + window * period) / period);

  // otplib skips steps <= afterTimeStep, but throws if afterTimeStep is past the
  // window (e.g. the clock went back): then every step in the window is spent.
  // It also refuses a negative afterTimeStep; -1 means "nothing used yet" anyway.
  if (last === null || last < 0 || last < maxStep) {
    const fresh = verifySync(last === null || last < 0 ? common : { ...common, afterTimeStep: last });
    if (fresh.valid && 'timeStep' in fresh) return { valid: true, step: fresh.timeStep };
    if (last === null || last < 0) return { valid: false, reason: 'invalid' };
  }
  // Not valid for any unused step: tell a replay (right code, spent step) from a wrong code.
  const matchedSpent = verifySync(common);
  return { valid: false, reason: matchedSpent.valid ? 'replay' : 'invalid' };
}
