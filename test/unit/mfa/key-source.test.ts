import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadVaultKey, parseVaultKey } from '../../../src/mfa/key-source.js';
import { vaultKeyId } from '../../../src/mfa/vault.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-mfa-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function keyFile(content: string, mode = 0o600): string {
  const p = path.join(dir, `key-${n++}`);
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
}

const key = randomBytes(32);
const hex = key.toString('hex');
const b64 = key.toString('base64');

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('loadVaultKey from a file', () => {
  it('reads 64 hex characters, trimming whitespace', () => {
    const file = keyFile(`  ${hex}\n`);
    const loaded = loadVaultKey({ file });
    expect(loaded.key.equals(key)).toBe(true);
    expect(loaded).toMatchObject({ source: 'file', location: file, insecurePermissions: false, mode: 0o600, keyId: vaultKeyId(key) });
  });

  it('reads 44 base64 characters', () => {
    expect(b64).toHaveLength(44);
    expect(loadVaultKey({ file: keyFile(`${b64}\n`) }).key.equals(key)).toBe(true);
  });

  it('accepts upper-case hex', () => {
    expect(loadVaultKey({ file: keyFile(hex.toUpperCase()) }).key.equals(key)).toBe(true);
  });

  it.each([0o644, 0o640, 0o604, 0o660])('flags mode %o as insecure', (mode) => {
    const loaded = loadVaultKey({ file: keyFile(hex, mode) });
    expect(loaded.insecurePermissions).toBe(true);
    expect(loaded.mode).toBe(mode);
  });

  it.each([0o600, 0o400])('mode %o is fine', (mode) => {
    expect(loadVaultKey({ file: keyFile(hex, mode) }).insecurePermissions).toBe(false);
  });

  it('a missing file → error naming the file and how to create a key', () => {
    const file = path.join(dir, 'missing.key');
    const err = errorOf(() => loadVaultKey({ file }));
    expect(err.message).toContain(file);
    expect(err.message).toContain('does not exist');
    expect(err.message).toContain('openssl rand -hex 32');
  });

  it('a directory → error', () => {
    const d = path.join(dir, 'a-dir');
    mkdirSync(d);
    expect(errorOf(() => loadVaultKey({ file: d })).message).toContain('not a regular file');
  });

  const badContents: [string, string][] = [
    ['empty', ''],
    ['62 hex chars', hex.slice(0, 62)],
    ['66 hex chars', `${hex}ab`],
    ['64 chars, not hex', `${hex.slice(0, 63)}g`],
    ['base64 of 31 bytes', randomBytes(31).toString('base64')],
    ['base64 of 33 bytes', randomBytes(33).toString('base64')],
    ['base64 without padding', b64.replace(/=$/, '')],
    ['hex with a space inside', `${hex.slice(0, 32)} ${hex.slice(32)}`],
    ['all zero key', '0'.repeat(64)],
  ];

  it.each(badContents)('%s → clear error that does not contain the key text', (_name, content) => {
    const file = keyFile(content);
    const err = errorOf(() => loadVaultKey({ file }));
    expect(err.message).toContain(file);
    expect(err.message).toContain('openssl rand -hex 32');
    if (content.length >= 8) {
      expect(err.message).not.toContain(content.trim());
      expect(err.message).not.toContain(content.trim().slice(0, 16));
    }
  });

  it('a very large file is refused before reading', () => {
    const err = errorOf(() => loadVaultKey({ file: keyFile(hex.repeat(100)) }));
    expect(err.message).toContain('too large');
    expect(err.message).not.toContain(hex);
  });

  it('a file that cannot be read → permission error, not a crash', () => {
    const file = keyFile(hex);
    const err = errorOf(() =>
      loadVaultKey(
        { file },
        {
          readFile: () => {
            throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
          },
        },
      ),
    );
    expect(err.message).toContain(file);
    expect(err.message).toContain('permission denied');
  });
});

describe('loadVaultKey from the environment', () => {
  it('reads hex or base64 from the variable', () => {
    expect(loadVaultKey({ env: 'MFA_KEY' }, { env: { MFA_KEY: hex } })).toMatchObject({ source: 'env', location: 'MFA_KEY', insecurePermissions: false });
    expect(loadVaultKey({ env: 'MFA_KEY' }, { env: { MFA_KEY: ` ${b64}\n` } }).key.equals(key)).toBe(true);
  });

  it('the variable wins over the file when set; the file is used when it is unset', () => {
    const fileKey = randomBytes(32);
    const file = keyFile(fileKey.toString('hex'));
    expect(loadVaultKey({ file, env: 'MFA_KEY' }, { env: { MFA_KEY: hex } }).key.equals(key)).toBe(true);
    const fromFile = loadVaultKey({ file, env: 'MFA_KEY' }, { env: {} });
    expect(fromFile.source).toBe('file');
    expect(fromFile.key.equals(fileKey)).toBe(true);
    expect(loadVaultKey({ file, env: 'MFA_KEY' }, { env: { MFA_KEY: '  ' } }).source).toBe('file');
  });

  it('an unset variable → error naming it', () => {
    const err = errorOf(() => loadVaultKey({ env: 'SIPWARDEN_MFA_KEY' }, { env: {} }));
    expect(err.message).toContain('SIPWARDEN_MFA_KEY');
    expect(err.message).toContain('not set');
    expect(err.message).toContain('openssl rand -hex 32');
  });

  it.each([
    ['short hex', hex.slice(0, 40)],
    ['non hex', 'z'.repeat(64)],
    ['a passphrase', 'correct horse battery staple correct horse battery staple!!'],
  ])('%s → error naming the variable, without its value', (_name, value) => {
    const err = errorOf(() => loadVaultKey({ env: 'SIPWARDEN_MFA_KEY' }, { env: { SIPWARDEN_MFA_KEY: value } }));
    expect(err.message).toContain('SIPWARDEN_MFA_KEY');
    expect(err.message).not.toContain(value);
    expect(err.message).not.toContain(value.slice(0, 12));
  });

  it('uses process.env by default', () => {
    const name = `SIPWARDEN_TEST_MFA_KEY_${process.pid}`;
    process.env[name] = hex;
    try {
      expect(loadVaultKey({ env: name }).key.equals(key)).toBe(true);
    } finally {
      delete process.env[name];
    }
  });
});

describe('no source', () => {
  it('neither file nor variable → error explaining how to configure one', () => {
    const err = errorOf(() => loadVaultKey({}, { env: {} }));
    expect(err.message).toContain('no MFA key configured');
    expect(err.message).toContain('openssl rand -hex 32 > /etc/sipwarden/mfa.key');
  });

  it('parseVaultKey works on its own', () => {
    expect(parseVaultKey(hex, 'x', 'y').equals(key)).toBe(true);
    expect(() => parseVaultKey('nope', 'the key', 'do this')).toThrow(/the key is not a valid key.*do this/);
  });
});
