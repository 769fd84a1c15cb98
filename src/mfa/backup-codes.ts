/**
 * Backup codes (NIST SP 800-63B "look-up secrets").
 *
 * Format: `XXXXX-XXXXX`, 10 symbols from a 31-symbol alphabet without the
 * confusable 0/O, 1/I/L:
 *
 *     23456789ABCDEFGHJKMNPQRSTUVWXYZ
 *
 * Entropy: 10 · log2(31) = 49.54 bits per code (8 symbols would give only
 * 39.6 bits, under the 40-bit floor). Each symbol is drawn with
 * crypto.randomInt, which is a CSPRNG with rejection sampling (no modulo bias).
 *
 * Storage: one salted scrypt hash per code (see scrypt-hash.ts), of the
 * normalised code (10 symbols, no dash). Default cost N = 2^14, r = 8, p = 1
 * (16 MiB, tens of ms): with ~50 bits per code and one salt per code an
 * offline search of a single code costs ~2^48 scrypt runs, while a login
 * that checks all 10 hashes stays well under a second. Verification is
 * additionally rate-limited by the lockout.
 *
 * Single use: `verifyBackupCode` only finds the index; the caller stores
 * `withoutBackupCode(hashes, index)` before reporting success.
 */
import { randomInt } from 'node:crypto';
import { parseScryptHash, scryptHash, scryptVerify } from './scrypt-hash.js';
import type { ParsedScryptHash, ScryptParams } from './scrypt-hash.js';

export const BACKUP_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const BACKUP_CODE_SYMBOLS = 10;
export const BACKUP_CODE_GROUP = 5;
/** Bits of entropy per code: 10 · log2(31) ≈ 49.54. */
export const BACKUP_CODE_ENTROPY_BITS = BACKUP_CODE_SYMBOLS * Math.log2(BACKUP_CODE_ALPHABET.length);
export const DEFAULT_BACKUP_CODE_COUNT = 10;
export const MAX_BACKUP_CODE_COUNT = 50;

export const DEFAULT_BACKUP_CODE_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 14, r: 8, p: 1 });

const CODE_RE = new RegExp(`^[${BACKUP_CODE_ALPHABET}]{${BACKUP_CODE_SYMBOLS}}$`);
const MAX_INPUT_LENGTH = 64;

function randomCode(): string {
  let s = '';
  for (let i = 0; i < BACKUP_CODE_SYMBOLS; i++) {
    s += BACKUP_CODE_ALPHABET[randomInt(BACKUP_CODE_ALPHABET.length)];
  }
  return formatBackupCode(s);
}

/** `ABCDE23456` → `ABCDE-23456`. */
function formatBackupCode(normalised: string): string {
  return `${normalised.slice(0, BACKUP_CODE_GROUP)}-${normalised.slice(BACKUP_CODE_GROUP)}`;
}

/** `count` distinct fresh codes in display form (`XXXXX-XXXXX`). */
export function generateBackupCodes(count: number = DEFAULT_BACKUP_CODE_COUNT): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BACKUP_CODE_COUNT) {
    throw new RangeError(`backup code count must be an integer from 1 to ${MAX_BACKUP_CODE_COUNT}, got ${count}`);
  }
  const codes = new Set<string>();
  while (codes.size < count) codes.add(randomCode());
  return [...codes];
}

/**
 * What the user typed → the 10 canonical symbols, or null if it cannot be a
 * backup code. Ignores case, whitespace and dashes ("abcde 23456", "ABCDE-23456").
 */
export function normaliseBackupCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return null;
  const s = input.replace(/[\s\-\u2010-\u2015\u2212]/g, '').toUpperCase();
  return CODE_RE.test(s) ? s : null;
}

/** True if `input` has the shape of a backup code (after normalisation). */
export function looksLikeBackupCode(input: unknown): boolean {
  return normaliseBackupCode(input) !== null;
}

/** Hash one code (display or normalised form). */
export async function hashBackupCode(code: string, params: ScryptParams = DEFAULT_BACKUP_CODE_SCRYPT): Promise<string> {
  const n = normaliseBackupCode(code);
  if (n === null) throw new TypeError('not a backup code');
  return scryptHash(n, params);
}

/** Hash every code, in order. */
export function hashBackupCodes(codes: readonly string[], params: ScryptParams = DEFAULT_BACKUP_CODE_SCRYPT): Promise<string[]> {
  return Promise.all(codes.map((c) => hashBackupCode(c, params)));
}

/** Fresh codes (to show once) and their hashes (to store), index for index. */
export async function createBackupCodes(
  count: number = DEFAULT_BACKUP_CODE_COUNT,
  params: ScryptParams = DEFAULT_BACKUP_CODE_SCRYPT,
): Promise<{ codes: string[]; hashes: string[] }> {
  const codes = generateBackupCodes(count);
  return { codes, hashes: await hashBackupCodes(codes, params) };
}

/**
 * Index of the stored hash that `input` matches, or -1.
 *
 * Every stored hash is computed and compared (timingSafeEqual, in scrypt-hash.ts) whatever the
 * input and wherever a match is, so the time taken does not tell which code
 * matched. Input that cannot be a backup code returns -1 at once (its shape
 * is not a secret). A malformed stored hash throws ScryptHashFormatError
 * before any work: a corrupted row should be loud, not silently unusable.
 */
export async function verifyBackupCode(input: unknown, storedHashes: readonly string[]): Promise<number> {
  const parsed: ParsedScryptHash[] = storedHashes.map((h) => parseScryptHash(h));
  const code = normaliseBackupCode(input);
  if (code === null || parsed.length === 0) return -1;
  const results = await Promise.all(parsed.map((h) => scryptVerify(code, h)));
  let found = -1;
  for (let i = 0; i < results.length; i++) {
    // Branch-free-ish: evaluate every entry; keep the first match.
    const hit = results[i] === true;
    found = hit && found === -1 ? i : found;
  }
  return found;
}

/** The stored list with the used code removed (what the caller persists after a match). */
export function withoutBackupCode(storedHashes: readonly string[], index: number): string[] {
  if (!Number.isInteger(index) || index < 0 || index >= storedHashes.length) {
    throw new RangeError(`backup code index ${index} is out of range (0..${storedHashes.length - 1})`);
  }
  return storedHashes.filter((_, i) => i !== index);
}

