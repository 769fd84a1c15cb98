/**
 * Admin password hashing: scrypt in the same stored format as backup codes,
 * `scrypt$N$r$p$<salt b64>$<hash b64>`.
 *
 * Default cost N = 2^17, r = 8, p = 1 (OWASP Password Storage Cheat Sheet
 * minimum for scrypt): 128 MiB and a few hundred ms per hash. Passwords are
 * NFKC-normalised (NIST SP 800-63B §5.1.1.2) before hashing. Length policy
 * (minimum length, breached-password checks) belongs to the admin layer; this
 * module only refuses empty and absurdly long (> 1024 chars) passwords.
 */
import { randomBytes } from 'node:crypto';
import { scryptHash, scryptNeedsRehash, scryptVerify } from './scrypt-hash.js';
import type { ScryptParams } from './scrypt-hash.js';

export const DEFAULT_PASSWORD_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
export const MAX_PASSWORD_LENGTH = 1024;

function usable(password: unknown): password is string {
  return typeof password === 'string' && password.length > 0 && password.length <= MAX_PASSWORD_LENGTH;
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PASSWORD_SCRYPT): Promise<string> {
  if (!usable(password)) throw new RangeError(`password must be 1 to ${MAX_PASSWORD_LENGTH} characters`);
  return scryptHash(password, params);
}

const dummyHashes = new Map<string, Promise<string>>();

function dummyHashFor(params: ScryptParams): Promise<string> {
  const key = `${params.N}/${params.r}/${params.p}`;
  let h = dummyHashes.get(key);
  if (h === undefined) {
    h = scryptHash(randomBytes(24).toString('base64'), params);
    dummyHashes.set(key, h);
  }
  return h;
}

/**
 * True if `password` matches `stored`.
 *
 * Pass `stored = null` for an unknown user: a dummy hash with `dummyParams`
 * (default: the password defaults) is computed anyway and false is returned,
 * so the response time does not reveal whether the user exists.
 * Throws ScryptHashFormatError if `stored` is not a valid stored hash.
 */
export async function verifyPassword(
  password: string,
  stored: string | null,
  dummyParams: ScryptParams = DEFAULT_PASSWORD_SCRYPT,
): Promise<boolean> {
  const target = stored ?? (await dummyHashFor(dummyParams));
  const input = usable(password) ? password : '';
  const ok = await scryptVerify(input, target);
  return ok && stored !== null && usable(password);
}

/** True if `stored` uses other cost parameters than `params`: hash the password again after a successful login. */
export function passwordNeedsRehash(stored: string, params: ScryptParams = DEFAULT_PASSWORD_SCRYPT): boolean {
  return scryptNeedsRehash(stored, params);
}
