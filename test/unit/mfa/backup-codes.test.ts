import { describe, expect, it } from 'vitest';
import {
  BACKUP_CODE_ALPHABET,
  BACKUP_CODE_ENTROPY_BITS,
  createBackupCodes,
  generateBackupCodes,
  hashBackupCode,
  hashBackupCodes,
  normaliseBackupCode,
  verifyBackupCode,
  withoutBackupCode,
} from '../../../src/mfa/backup-codes.js';
import { ScryptHashFormatError } from '../../../src/mfa/scrypt-hash.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const CODE_RE = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{5}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{5}$/;

describe('backup code generation', () => {
  it('makes 10 distinct XXXXX-XXXXX codes by default', () => {
    const codes = generateBackupCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(CODE_RE);
    expect(generateBackupCodes(3)).toHaveLength(3);
    expect(() => generateBackupCodes(0)).toThrow(RangeError);
    expect(() => generateBackupCodes(51)).toThrow(RangeError);
  });

  it('uses a 31-symbol alphabet without 0, O, 1, I, L: 10 symbols = 49.5 bits (>= 40)', () => {
    expect(BACKUP_CODE_ALPHABET).toHaveLength(31);
    expect(new Set(BACKUP_CODE_ALPHABET).size).toBe(31);
    for (const confusable of ['0', 'O', '1', 'I', 'L']) expect(BACKUP_CODE_ALPHABET).not.toContain(confusable);
    expect(BACKUP_CODE_ENTROPY_BITS).toBeCloseTo(10 * Math.log2(31), 10);
    expect(BACKUP_CODE_ENTROPY_BITS).toBeGreaterThanOrEqual(40);
    expect(BACKUP_CODE_ENTROPY_BITS).toBeCloseTo(49.54, 2);
  });

  it('draws every symbol of the alphabet, roughly uniformly', () => {
    const counts = new Map<string, number>();
    const codes = Array.from({ length: 100 }, () => generateBackupCodes(50)).flat();
    for (const code of codes) for (const ch of code.replace('-', '')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect([...counts.keys()].sort().join('')).toBe([...BACKUP_CODE_ALPHABET].sort().join(''));
    // 50 000 symbols / 31 ≈ 1613 each; a biased generator would be far off.
    for (const n of counts.values()) expect(n).toBeGreaterThan(1300);
    for (const n of counts.values()) expect(n).toBeLessThan(1950);
  });
});

describe('normalisation', () => {
  it.each([
    ['ABCDE-23456', 'ABCDE23456'],
    ['abcde-23456', 'ABCDE23456'],
    ['abcde 23456', 'ABCDE23456'],
    [' ABCDE23456 ', 'ABCDE23456'],
    ['ab-cd-e2-34-56', 'ABCDE23456'],
    ['ABCDE\u201323456', 'ABCDE23456'],
  ])('%j → %s', (input, expected) => {
    expect(normaliseBackupCode(input)).toBe(expected);
  });

  it.each([[''], ['ABCDE-2345'], ['ABCDE-234567'], ['ABCDE-2345O'], ['ABCDE-2345I'], ['ABCDE-23451'], ['ABCDE_23456'], ['x'.repeat(100)]])(
    '%j is not a backup code',
    (input) => {
      expect(normaliseBackupCode(input)).toBeNull();
    },
  );

  it('rejects non-strings', () => {
    expect(normaliseBackupCode(42)).toBeNull();
    expect(normaliseBackupCode(undefined)).toBeNull();
  });
});

describe('hashing and verification', () => {
  it('stores self-describing salted scrypt strings, never the code', async () => {
    const [code = ''] = generateBackupCodes(1);
    const a = await hashBackupCode(code, FAST);
    const b = await hashBackupCode(code, FAST);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b); // per-code random salt
    expect(a).not.toContain(code.replace('-', ''));
    await expect(hashBackupCode('nope', FAST)).rejects.toThrow(TypeError);
  });

  it('uses N=16384, r=8, p=1 by default', async () => {
    const [code = ''] = generateBackupCodes(1);
    const h = await hashBackupCode(code);
    expect(h.startsWith('scrypt$16384$8$1$')).toBe(true);
    expect(await verifyBackupCode(code, [h])).toBe(0);
  });

  it('finds the matching index, normalising the input', async () => {
    const { codes, hashes } = await createBackupCodes(5, FAST);
    expect(hashes).toHaveLength(5);
    for (const [i, code] of codes.entries()) expect(await verifyBackupCode(code, hashes)).toBe(i);
    const third = codes[2] ?? '';
    expect(await verifyBackupCode(third.toLowerCase().replace('-', ' '), hashes)).toBe(2);
    expect(await verifyBackupCode(` ${third.replace('-', '')} `, hashes)).toBe(2);
  });

  it('returns -1 for a wrong, malformed or absent code', async () => {
    const { codes, hashes } = await createBackupCodes(3, FAST);
    let other = generateBackupCodes(1)[0] ?? '';
    while (codes.includes(other)) other = generateBackupCodes(1)[0] ?? '';
    expect(await verifyBackupCode(other, hashes)).toBe(-1);
    expect(await verifyBackupCode('123456', hashes)).toBe(-1);
    expect(await verifyBackupCode('', hashes)).toBe(-1);
    expect(await verifyBackupCode(null, hashes)).toBe(-1);
    expect(await verifyBackupCode(codes[0], [])).toBe(-1);
  });

  it('is single use once the caller stores the remaining list', async () => {
    const { codes, hashes } = await createBackupCodes(4, FAST);
    const code = codes[1] ?? '';
    const index = await verifyBackupCode(code, hashes);
    expect(index).toBe(1);
    const remaining = withoutBackupCode(hashes, index);
    expect(remaining).toHaveLength(3);
    expect(remaining).toEqual([hashes[0], hashes[2], hashes[3]]);
    expect(await verifyBackupCode(code, remaining)).toBe(-1);
    expect(await verifyBackupCode(codes[3], remaining)).toBe(2);
    expect(hashes).toHaveLength(4); // input untouched
    expect(() => withoutBackupCode(hashes, -1)).toThrow(RangeError);
    expect(() => withoutBackupCode(hashes, 4)).toThrow(RangeError);
  });

  it('returns the first index when one code is stored twice', async () => {
    const code = generateBackupCodes(1)[0] ?? '';
    const hashes = await hashBackupCodes([code, code], FAST);
    expect(await verifyBackupCode(code, hashes)).toBe(0);
  });

  it('throws on a corrupted stored hash instead of silently never matching', async () => {
    const { codes, hashes } = await createBackupCodes(2, FAST);
    await expect(verifyBackupCode(codes[0], [...hashes, 'plain-text-code'])).rejects.toThrow(ScryptHashFormatError);
  });
});
