/** verifyBackupCode must run the KDF for every stored hash, wherever (and whether) the input matches. */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const scryptCalls = vi.hoisted(() => ({ count: 0 }));

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  const scrypt = ((...args: Parameters<typeof actual.scrypt>) => {
    scryptCalls.count += 1;
    return (actual.scrypt as (...a: unknown[]) => void)(...args);
  }) as typeof actual.scrypt;
  return { ...actual, default: { ...actual, scrypt }, scrypt };
});

const { createBackupCodes, generateBackupCodes, verifyBackupCode } = await import('../../../src/mfa/backup-codes.js');

const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('verifyBackupCode does not stop at the first match', () => {
  beforeEach(() => {
    scryptCalls.count = 0;
  });

  it.each([0, 4, 9])('match at index %d still hashes all 10 entries', async (i) => {
    const { codes, hashes } = await createBackupCodes(10, FAST);
    scryptCalls.count = 0;
    expect(await verifyBackupCode(codes[i], hashes)).toBe(i);
    expect(scryptCalls.count).toBe(10);
  });

  it('no match hashes all 10 entries', async () => {
    const { codes, hashes } = await createBackupCodes(10, FAST);
    let other = generateBackupCodes(1)[0] ?? '';
    while (codes.includes(other)) other = generateBackupCodes(1)[0] ?? '';
    scryptCalls.count = 0;
    expect(await verifyBackupCode(other, hashes)).toBe(-1);
    expect(scryptCalls.count).toBe(10);
  });
});
