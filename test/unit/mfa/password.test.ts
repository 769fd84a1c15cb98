import { describe, expect, it } from 'vitest';
import { hashPassword, passwordNeedsRehash, verifyPassword } from '../../../src/mfa/password.js';
import {
  checkScryptParams,
  formatScryptHash,
  parseScryptHash,
  ScryptHashFormatError,
  scryptHash,
  scryptNeedsRehash,
  scryptVerify,
} from '../../../src/mfa/scrypt-hash.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('scrypt stored format', () => {
  it('round-trips through parse/format', async () => {
    const h = await scryptHash('secret', FAST);
    const parsed = parseScryptHash(h);
    expect(parsed).toMatchObject({ N: 1024, r: 8, p: 1 });
    expect(parsed.salt).toHaveLength(16);
    expect(parsed.hash).toHaveLength(32);
    expect(formatScryptHash(parsed)).toBe(h);
    expect(await scryptVerify('secret', parsed)).toBe(true);
    expect(await scryptVerify('Secret', h)).toBe(false);
  });

  it('honours salt and key sizes', async () => {
    const h = parseScryptHash(await scryptHash('x', { ...FAST, saltBytes: 32, keyBytes: 64 }));
    expect(h.salt).toHaveLength(32);
    expect(h.hash).toHaveLength(64);
  });

  const salt = Buffer.alloc(16, 1).toString('base64');
  const hash = Buffer.alloc(32, 2).toString('base64');
  it.each([
    ['wrong scheme', `bcrypt$1024$8$1$${salt}$${hash}`],
    ['missing field', `scrypt$1024$8$1$${salt}`],
    ['extra field', `scrypt$1024$8$1$${salt}$${hash}$x`],
    ['N not a power of two', `scrypt$1000$8$1$${salt}$${hash}`],
    ['N too large', `scrypt$${2 ** 21}$8$1$${salt}$${hash}`],
    ['memory too large', `scrypt$${2 ** 20}$8$1$${salt}$${hash}`],
    ['r zero', `scrypt$1024$0$1$${salt}$${hash}`],
    ['p huge', `scrypt$1024$8$99$${salt}$${hash}`],
    ['N with leading zero', `scrypt$01024$8$1$${salt}$${hash}`],
    ['short salt', `scrypt$1024$8$1$${Buffer.alloc(8).toString('base64')}$${hash}`],
    ['short hash', `scrypt$1024$8$1$${salt}$${Buffer.alloc(8).toString('base64')}`],
    ['not base64', `scrypt$1024$8$1$${salt}$not*base64`],
    ['non-canonical base64', `scrypt$1024$8$1$${salt.replace(/==$/, '')}$${hash}`],
    ['empty', ''],
  ])('rejects %s', (_name, stored) => {
    expect(() => parseScryptHash(stored)).toThrow(ScryptHashFormatError);
  });

  it('checks cost parameters before hashing', () => {
    expect(() => checkScryptParams({ N: 3, r: 8, p: 1 })).toThrow(RangeError);
    expect(() => checkScryptParams({ N: 1024, r: 8, p: 1, saltBytes: 8 })).toThrow(RangeError);
    expect(() => checkScryptParams({ N: 2 ** 17, r: 8, p: 1 })).not.toThrow();
  });

  it('needsRehash compares cost parameters', async () => {
    const h = await scryptHash('x', FAST);
    expect(scryptNeedsRehash(h, FAST)).toBe(false);
    expect(scryptNeedsRehash(h, { N: 2 ** 11, r: 8, p: 1 })).toBe(true);
  });
});

describe('passwords', () => {
  it('hashes with N=2^17, r=8, p=1 by default and verifies', async () => {
    const h = await hashPassword('correct horse battery staple');
    expect(h.startsWith('scrypt$131072$8$1$')).toBe(true);
    expect(await verifyPassword('correct horse battery staple', h)).toBe(true);
    expect(passwordNeedsRehash(h)).toBe(false);
    expect(passwordNeedsRehash(h, FAST)).toBe(true);
  });

  it('rejects a wrong password and salts every hash', async () => {
    const a = await hashPassword('hunter22', FAST);
    const b = await hashPassword('hunter22', FAST);
    expect(a).not.toBe(b);
    expect(await verifyPassword('hunter23', a)).toBe(false);
    expect(await verifyPassword('Hunter22', a)).toBe(false);
    expect(await verifyPassword('hunter22', b)).toBe(true);
  });

  it('NFKC-normalises so the same password typed differently matches', async () => {
    const h = await hashPassword('caf\u00e9', FAST);
    expect(await verifyPassword('cafe\u0301', h)).toBe(true);
  });

  it('refuses empty and oversized passwords', async () => {
    await expect(hashPassword('', FAST)).rejects.toThrow(RangeError);
    await expect(hashPassword('x'.repeat(1025), FAST)).rejects.toThrow(RangeError);
    const h = await hashPassword('x', FAST);
    expect(await verifyPassword('', h)).toBe(false);
    expect(await verifyPassword('x'.repeat(1025), h)).toBe(false);
  });

  it('an unknown user (stored = null) is false after doing the same work', async () => {
    expect(await verifyPassword('anything', null, FAST)).toBe(false);
    expect(await verifyPassword('anything', null, FAST)).toBe(false);
  });

  it('a corrupted stored hash throws', async () => {
    await expect(verifyPassword('x', 'md5$abc')).rejects.toThrow(ScryptHashFormatError);
  });
});
