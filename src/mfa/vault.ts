/**
 * SecretVault: AES-256-GCM for MFA secrets at rest.
 *
 * Stored format (one ASCII string, no secrets in clear):
 *
 *     v1:<keyId>:<iv base64>:<tag base64>:<ciphertext base64>
 *     v1:3f9a0c21:Jm1X…(16 chars):o5V…(24 chars):…
 *
 * - keyId: first 8 hex characters of SHA-256("sipwarden-mfa-key-id\0" || key).
 *   It names the key without revealing anything usable about it, so "wrong
 *   key" is reported as such and old ciphertexts can be found for rotation.
 * - iv: 12 random bytes, fresh for every encryption (GCM must never reuse an
 *   IV under one key; 2^-96 collision odds per pair).
 * - tag: the full 16-byte GCM tag.
 * - AAD: "sipwarden-mfa:v1:<keyId>:" + the caller's `aad` (e.g. "totp:ext:201").
 *   The ciphertext only decrypts for the owner it was written for, so a
 *   secret cannot be moved to another row, and the header cannot be edited.
 *
 * The vault can hold previous keys for decryption only; encryption always
 * uses the current key. Rotate by re-encrypting every row with
 * `reencrypt` (or a vault holding old + new keys) and then dropping the old key.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export const VAULT_KEY_BYTES = 32;
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_RE = /^[0-9a-f]{8}$/;
const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export const VAULT_DECRYPT_MESSAGE = 'MFA secret could not be decrypted: wrong key or corrupted data';

export type VaultDecryptReason = 'malformed' | 'unknown-key' | 'authentication-failed';

/** Thrown by decrypt. The message never contains key material or plaintext. */
export class VaultDecryptError extends Error {
  readonly reason: VaultDecryptReason;
  /** keyId found in the stored text, if it could be read. */
  readonly storedKeyId: string | undefined;
  constructor(reason: VaultDecryptReason, detail: string, storedKeyId?: string) {
    super(`${VAULT_DECRYPT_MESSAGE} (${detail})`);
    this.name = 'VaultDecryptError';
    this.reason = reason;
    this.storedKeyId = storedKeyId;
  }
}

/** Short public fingerprint of a vault key. */
export function vaultKeyId(key: Uint8Array): string {
  return createHash('sha256').update('sipwarden-mfa-key-id\0').update(key).digest('hex').slice(0, 8);
}

function checkKey(key: Uint8Array): Buffer {
  if (!(key instanceof Uint8Array) || key.length !== VAULT_KEY_BYTES) {
    throw new RangeError(`MFA vault key must be ${VAULT_KEY_BYTES} bytes`);
  }
  return Buffer.from(key); // own copy
}

function aadBytes(keyId: string, aad: string): Buffer {
  return Buffer.from(`sipwarden-mfa:${VERSION}:${keyId}:${aad}`, 'utf8');
}

function decodeB64(text: string, bytes: number | null): Buffer | null {
  if (!B64_RE.test(text)) return null;
  const buf = Buffer.from(text, 'base64');
  if (buf.toString('base64') !== text) return null;
  if (bytes !== null && buf.length !== bytes) return null;
  return buf;
}

export interface SealedHeader {
  version: 'v1';
  keyId: string;
}

/** Read the version and keyId of a stored string without decrypting (null if it is not a vault string). */
export function readSealedHeader(text: string): SealedHeader | null {
  if (typeof text !== 'string') return null;
  const parts = text.split(':');
  if (parts.length !== 5 || parts[0] !== VERSION || parts[1] === undefined || !KEY_ID_RE.test(parts[1])) return null;
  return { version: VERSION, keyId: parts[1] };
}

export class SecretVault {
  /** keyId of the key used to encrypt. */
  readonly keyId: string;
  readonly #current: Buffer;
  readonly #keys: Map<string, Buffer>;

  /**
   * @param key 32 bytes (see key-source.ts)
   * @param previousKeys keys still accepted for decryption during a rotation
   */
  constructor(key: Uint8Array, previousKeys: readonly Uint8Array[] = []) {
    this.#current = checkKey(key);
    this.keyId = vaultKeyId(this.#current);
    this.#keys = new Map([[this.keyId, this.#current]]);
    for (const k of previousKeys) {
      const copy = checkKey(k);
      const id = vaultKeyId(copy);
      if (!this.#keys.has(id)) this.#keys.set(id, copy);
    }
  }

  /** keyIds this vault can decrypt (current first). */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  /** Encrypt `plaintext` for the owner named by `aad` (e.g. "totp:ext:201"). */
  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadBytes(this.keyId, aad));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.keyId, iv.toString('base64'), tag.toString('base64'), ct.toString('base64')].join(':');
  }

  /** Decrypt a string from `encrypt`. Throws VaultDecryptError on a wrong key, wrong `aad`, tampering or garbage. */
  decrypt(text: string, aad: string): string {
    const header = readSealedHeader(text);
    if (header === null) throw new VaultDecryptError('malformed', 'not a v1 vault string');
    const [, , ivText = '', tagText = '', ctText = ''] = text.split(':');
    const iv = decodeB64(ivText, IV_BYTES);
    const tag = decodeB64(tagText, TAG_BYTES);
    const ct = decodeB64(ctText, null);
    if (iv === null || tag === null || ct === null) throw new VaultDecryptError('malformed', 'bad base64 field', header.keyId);
    const key = this.#keys.get(header.keyId);
    if (key === undefined) {
      throw new VaultDecryptError(
        'unknown-key',
        `it was encrypted with key ${header.keyId}, this vault has ${this.keyIds.join(', ')}`,
        header.keyId,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aadBytes(header.keyId, aad));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
    } catch {
      throw new VaultDecryptError('authentication-failed', 'authentication failed: tampered data or wrong owner', header.keyId);
    }
  }

  /** True if `text` was not encrypted with the current key (a row still to rotate). */
  needsReencrypt(text: string): boolean {
    return readSealedHeader(text)?.keyId !== this.keyId;
  }

  /** Decrypt with this vault and encrypt again with `target` (default: this vault's current key), same owner. */
  reencrypt(text: string, aad: string, target: SecretVault = this): string {
    return target.encrypt(this.decrypt(text, aad), aad);
  }

  /** Never print keys: console.log / util.inspect / JSON show the keyIds only. */
  toJSON(): { keyId: string; keyIds: string[] } {
    return { keyId: this.keyId, keyIds: this.keyIds };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SecretVault { keyId: '${this.keyId}' }`;
  }
}

/** The encrypt/decrypt surface the MFA service needs (a SecretVault, or a test double). */
export type SecretSealer = Pick<SecretVault, 'encrypt' | 'decrypt'>;
