import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readSealedHeader, SecretVault, VAULT_DECRYPT_MESSAGE, VaultDecryptError, vaultKeyId } from '../../../src/mfa/vault.js';

const key = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
const otherKey = randomBytes(32);
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const AAD = 'totp:ext:201';
const FORMAT = /^v1:[0-9a-f]{8}:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/=]*$/;

function replaceField(text: string, index: number, fn: (b: Buffer) => Buffer): string {
  const parts = text.split(':');
  parts[index] = fn(Buffer.from(parts[index] ?? '', 'base64')).toString('base64');
  return parts.join(':');
}

function flipFirstBit(b: Buffer): Buffer {
  const c = Buffer.from(b);
  c[0] = (c[0] ?? 0) ^ 1;
  return c;
}

describe('SecretVault', () => {
  it('round-trips and writes the versioned format', () => {
    const v = new SecretVault(key);
    const sealed = v.encrypt(SECRET, AAD);
    expect(sealed).toMatch(FORMAT);
    expect(sealed.split(':')[1]).toBe(v.keyId);
    expect(sealed).not.toContain(SECRET);
    expect(v.decrypt(sealed, AAD)).toBe(SECRET);
    expect(v.decrypt(v.encrypt('', AAD), AAD)).toBe('');
    expect(v.decrypt(v.encrypt('ünïcødé ✓', AAD), AAD)).toBe('ünïcødé ✓');
    expect(readSealedHeader(sealed)).toEqual({ version: 'v1', keyId: v.keyId });
    expect(readSealedHeader('garbage')).toBeNull();
  });

  it('uses a fresh IV every time: two encryptions differ', () => {
    const v = new SecretVault(key);
    const a = v.encrypt(SECRET, AAD);
    const b = v.encrypt(SECRET, AAD);
    expect(a).not.toBe(b);
    expect(a.split(':')[2]).not.toBe(b.split(':')[2]);
    expect(Buffer.from(a.split(':')[2] ?? '', 'base64')).toHaveLength(12);
  });

  it('keyId is a short stable fingerprint, different per key', () => {
    expect(vaultKeyId(key)).toMatch(/^[0-9a-f]{8}$/);
    expect(new SecretVault(key).keyId).toBe(vaultKeyId(key));
    expect(new SecretVault(otherKey).keyId).not.toBe(vaultKeyId(key));
    // Not simply a prefix of the key or of its plain SHA-256.
    expect(key.toString('hex')).not.toContain(vaultKeyId(key));
  });

  it('wrong key → clear error naming both keyIds', () => {
    const sealed = new SecretVault(key).encrypt(SECRET, AAD);
    const wrong = new SecretVault(otherKey);
    expect(() => wrong.decrypt(sealed, AAD)).toThrow(VAULT_DECRYPT_MESSAGE);
    try {
      wrong.decrypt(sealed, AAD);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(VaultDecryptError);
      const err = e as VaultDecryptError;
      expect(err.reason).toBe('unknown-key');
      expect(err.storedKeyId).toBe(vaultKeyId(key));
      expect(err.message).toContain(vaultKeyId(key));
      expect(err.message).toContain(wrong.keyId);
      expect(err.message).not.toContain(key.toString('hex'));
      expect(err.message).not.toContain(otherKey.toString('hex'));
    }
  });

  it('a wrong key carrying the right keyId (forged header) fails authentication', () => {
    const sealed = new SecretVault(otherKey).encrypt(SECRET, AAD);
    const forged = sealed.replace(/^v1:[0-9a-f]{8}:/, `v1:${vaultKeyId(key)}:`);
    expect(() => new SecretVault(key).decrypt(forged, AAD)).toThrow(VAULT_DECRYPT_MESSAGE);
  });

  it.each([
    ['ciphertext', 4],
    ['tag', 3],
    ['iv', 2],
  ])('tampered %s → error', (_name, index) => {
    const v = new SecretVault(key);
    const sealed = v.encrypt(SECRET, AAD);
    const tampered = replaceField(sealed, index, flipFirstBit);
    expect(() => v.decrypt(tampered, AAD)).toThrow(VaultDecryptError);
    expect(() => v.decrypt(tampered, AAD)).toThrow(VAULT_DECRYPT_MESSAGE);
  });

  it('truncated or malformed strings → error', () => {
    const v = new SecretVault(key);
    const sealed = v.encrypt(SECRET, AAD);
    for (const bad of [
      '',
      SECRET,
      sealed.slice(0, -4),
      sealed.replace(/^v1:/, 'v2:'),
      sealed.split(':').slice(0, 4).join(':'),
      `${sealed}:extra`,
      replaceField(sealed, 3, (b) => b.subarray(0, 12)),
    ]) {
      expect(() => v.decrypt(bad, AAD)).toThrow(VAULT_DECRYPT_MESSAGE);
    }
  });

  it('AAD binds the secret to its owner: another owner cannot decrypt it', () => {
    const v = new SecretVault(key);
    const sealed = v.encrypt(SECRET, 'totp:ext:201');
    expect(() => v.decrypt(sealed, 'totp:ext:202')).toThrow(VAULT_DECRYPT_MESSAGE);
    expect(() => v.decrypt(sealed, '')).toThrow(VaultDecryptError);
    try {
      v.decrypt(sealed, 'totp:ext:202');
    } catch (e) {
      expect((e as VaultDecryptError).reason).toBe('authentication-failed');
    }
  });

  it('rotates: reencrypt to a new vault, old rows readable during the switch', () => {
    const oldVault = new SecretVault(key);
    const newVault = new SecretVault(otherKey);
    const sealedOld = oldVault.encrypt(SECRET, AAD);

    const rotated = oldVault.reencrypt(sealedOld, AAD, newVault);
    expect(rotated.split(':')[1]).toBe(newVault.keyId);
    expect(newVault.decrypt(rotated, AAD)).toBe(SECRET);
    expect(() => oldVault.decrypt(rotated, AAD)).toThrow(VAULT_DECRYPT_MESSAGE);

    // A vault with the new key plus the old one reads both, writes with the new one.
    const transitional = new SecretVault(otherKey, [key]);
    expect(transitional.keyIds).toEqual([newVault.keyId, oldVault.keyId]);
    expect(transitional.decrypt(sealedOld, AAD)).toBe(SECRET);
    expect(transitional.needsReencrypt(sealedOld)).toBe(true);
    const again = transitional.reencrypt(sealedOld, AAD);
    expect(transitional.needsReencrypt(again)).toBe(false);
    expect(newVault.decrypt(again, AAD)).toBe(SECRET);
    // Rotation keeps the AAD binding.
    expect(() => newVault.decrypt(again, 'totp:ext:999')).toThrow(VAULT_DECRYPT_MESSAGE);
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => new SecretVault(randomBytes(31))).toThrow(RangeError);
    expect(() => new SecretVault(randomBytes(33))).toThrow(RangeError);
    expect(() => new SecretVault(key, [randomBytes(16)])).toThrow(RangeError);
  });

  it('never shows the key when printed or serialised', () => {
    const v = new SecretVault(key, [otherKey]);
    const hex = key.toString('hex');
    const b64 = key.toString('base64');
    for (const text of [inspect(v, { showHidden: true, depth: 5 }), JSON.stringify(v), String(Object.keys(v))]) {
      expect(text).not.toContain(hex);
      expect(text).not.toContain(b64);
      expect(text).not.toContain(otherKey.toString('hex'));
    }
    expect(JSON.stringify(v)).toContain(v.keyId);
  });

  it('copies the key: later changes to the caller buffer do not affect it', () => {
    const k = Buffer.from(key);
    const v = new SecretVault(k);
    const sealed = v.encrypt(SECRET, AAD);
    k.fill(0);
    expect(v.decrypt(sealed, AAD)).toBe(SECRET);
  });
});
