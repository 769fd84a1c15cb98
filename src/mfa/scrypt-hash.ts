/**
 * Salted scrypt hashes in one self-describing string, shared by backup codes
 * and admin passwords:
 *
 *     scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>
 *     scrypt$16384$8$1$q0t3…==$3vJ…=
 *
 * N, r, p are decimal; salt and hash are standard padded base64. The cost
 * parameters travel with each hash, so raising the defaults later keeps old
 * hashes verifiable (and `needsRehash` tells when to upgrade one).
 *
 * Parsing is strict and bounded (a corrupted or hostile row cannot make us
 * allocate gigabytes): N a power of two from 2 to 2^20, r 1..32, p 1..16,
 * 128·N·r <= 256 MiB, salt and hash 16..64 bytes.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. Memory used is about 128·N·r bytes. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
  /** Salt length in bytes (default 16). */
  saltBytes?: number;
  /** Derived key length in bytes (default 32). */
  keyBytes?: number;
}

export interface ParsedScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const MAX_MEM = 256 * 1024 * 1024;
const B64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

export class ScryptHashFormatError extends Error {
  constructor(detail: string) {
    super(`stored hash is not a valid "scrypt$N$r$p$salt$hash" string: ${detail}`);
    this.name = 'ScryptHashFormatError';
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 2 && (n & (n - 1)) === 0;
}

/** Throws a RangeError if the parameters are outside the accepted bounds. */
export function checkScryptParams(params: ScryptParams): void {
  const { N, r, p } = params;
  const saltBytes = params.saltBytes ?? 16;
  const keyBytes = params.keyBytes ?? 32;
  if (!isPowerOfTwo(N) || N > 2 ** 20) throw new RangeError(`scrypt N must be a power of two from 2 to 2^20, got ${N}`);
  if (!Number.isInteger(r) || r < 1 || r > 32) throw new RangeError(`scrypt r must be an integer from 1 to 32, got ${r}`);
  if (!Number.isInteger(p) || p < 1 || p > 16) throw new RangeError(`scrypt p must be an integer from 1 to 16, got ${p}`);
  if (128 * N * r > MAX_MEM) throw new RangeError(`scrypt 128*N*r must not exceed 256 MiB, got N=${N} r=${r}`);
  if (!Number.isInteger(saltBytes) || saltBytes < 16 || saltBytes > 64) throw new RangeError(`scrypt salt must be 16..64 bytes, got ${saltBytes}`);
  if (!Number.isInteger(keyBytes) || keyBytes < 16 || keyBytes > 64) throw new RangeError(`scrypt key length must be 16..64 bytes, got ${keyBytes}`);
}

function deriveKey(input: string, salt: Buffer, N: number, r: number, p: number, keyBytes: number): Promise<Buffer> {
  // maxmem: Node's default (32 MiB) is below what N = 2^15, r = 8 needs.
  const maxmem = 128 * N * r * 2 + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(input.normalize('NFKC'), salt, keyBytes, { N, r, p, maxmem }, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** Hash `input` (NFKC-normalised) with a fresh random salt. */
export async function scryptHash(input: string, params: ScryptParams): Promise<string> {
  checkScryptParams(params);
  const salt = randomBytes(params.saltBytes ?? 16);
  const hash = await deriveKey(input, salt, params.N, params.r, params.p, params.keyBytes ?? 32);
  return formatScryptHash({ N: params.N, r: params.r, p: params.p, salt, hash });
}

export function formatScryptHash(h: ParsedScryptHash): string {
  return `scrypt$${h.N}$${h.r}$${h.p}$${h.salt.toString('base64')}$${h.hash.toString('base64')}`;
}

function parseInteger(text: string | undefined, name: string): number {
  if (text === undefined || !/^[1-9][0-9]{0,9}$/.test(text)) throw new ScryptHashFormatError(`${name} is not a positive integer`);
  return Number(text);
}

function parseBase64(text: string | undefined, name: string): Buffer {
  if (text === undefined || text.length > 128 || !B64_RE.test(text)) throw new ScryptHashFormatError(`${name} is not base64`);
  const buf = Buffer.from(text, 'base64');
  if (buf.toString('base64') !== text) throw new ScryptHashFormatError(`${name} is not canonical base64`);
  return buf;
}

/** Parse and bound-check a stored hash; throws ScryptHashFormatError (never echoing the input). */
export function parseScryptHash(stored: string): ParsedScryptHash {
  if (typeof stored !== 'string' || stored.length > 400) throw new ScryptHashFormatError('not a string of a plausible length');
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw new ScryptHashFormatError('expected 6 "$"-separated fields starting with "scrypt"');
  const N = parseInteger(parts[1], 'N');
  const r = parseInteger(parts[2], 'r');
  const p = parseInteger(parts[3], 'p');
  const salt = parseBase64(parts[4], 'salt');
  const hash = parseBase64(parts[5], 'hash');
  try {
    checkScryptParams({ N, r, p, saltBytes: salt.length, keyBytes: hash.length });
  } catch (e) {
    throw new ScryptHashFormatError((e as Error).message);
  }
  return { N, r, p, salt, hash };
}

/**
 * Hash `input` with the salt and parameters of `stored` and compare in
 * constant time. Always runs the full KDF, whatever the input.
 */
export async function scryptVerify(input: string, stored: string | ParsedScryptHash): Promise<boolean> {
  const h = typeof stored === 'string' ? parseScryptHash(stored) : stored;
  const candidate = await deriveKey(input, h.salt, h.N, h.r, h.p, h.hash.length);
  return timingSafeEqual(candidate, h.hash);
}

/** True if `stored` was made with different cost parameters than `params` (hash again after a successful verify). */
export function scryptNeedsRehash(stored: string, params: ScryptParams): boolean {
  const h = parseScryptHash(stored);
  return h.N !== params.N || h.r !== params.r || h.p !== params.p || h.hash.length !== (params.keyBytes ?? 32);
}
