/**
 * Load the 32-byte MFA vault key from a file or an environment variable.
 * The only module in src/mfa that does I/O (synchronous: it runs once at start).
 *
 * Accepted encodings (surrounding whitespace trimmed):
 *   - 64 hex characters            `openssl rand -hex 32`
 *   - 44 base64 characters (with =) `openssl rand -base64 32`
 *
 * Precedence: the environment variable when it is set and non-empty, else the
 * file (environment overrides config, as for every other setting). Error
 * messages name the file or variable and how to create a key; they never
 * contain the key or any part of it.
 */
import { readFileSync, statSync } from 'node:fs';
import { VAULT_KEY_BYTES, vaultKeyId } from './vault.js';

export interface VaultKeySource {
  /** Path of a file holding the key, e.g. /etc/sipwarden/mfa.key */
  file?: string;
  /** Name of an environment variable holding the key, e.g. SIPWARDEN_MFA_KEY */
  env?: string;
}

export interface LoadedVaultKey {
  key: Buffer;
  /** Public fingerprint (same as SecretVault#keyId), safe to log. */
  keyId: string;
  source: 'file' | 'env';
  /** The path or the variable name. */
  location: string;
  /**
   * The key file can be read or written by group or others (mode & 0o077):
   * log a warning and suggest `chmod 600`. Always false for env and on Windows.
   */
  insecurePermissions: boolean;
  /** Permission bits of the key file (e.g. 0o600), for the warning. */
  mode?: number;
}

/** Injected for tests; defaults to process.env / node:fs. */
export interface KeySourceDeps {
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
  stat?: (path: string) => { mode: number; size: number; isFile(): boolean };
  platform?: NodeJS.Platform;
}

const EXAMPLE_FILE = '/etc/sipwarden/mfa.key';
const MAX_KEY_FILE_BYTES = 4096;
const HEX_RE = /^[0-9a-fA-F]{64}$/;
const B64_RE = /^[A-Za-z0-9+/]{43}=$/;

function howToCreateFile(path: string): string {
  return `create one with: umask 077 && openssl rand -hex 32 > ${path}`;
}

function howToCreateEnv(name: string): string {
  return `set it to 64 hex characters, e.g. ${name}=$(openssl rand -hex 32)`;
}

/**
 * Decode a key text (already read). `where` names its origin in errors
 * ("MFA key file /etc/sipwarden/mfa.key"). Never echoes the text.
 */
export function parseVaultKey(text: string, where: string, howToFix: string): Buffer {
  const t = text.trim();
  let key: Buffer | null = null;
  if (HEX_RE.test(t)) {
    key = Buffer.from(t, 'hex');
  } else if (B64_RE.test(t)) {
    const b = Buffer.from(t, 'base64');
    if (b.length === VAULT_KEY_BYTES && b.toString('base64') === t) key = b;
  }
  if (key === null) {
    const shape = t.length === 0 ? 'it is empty' : `it has ${t.length} characters`;
    throw new Error(
      `${where} is not a valid key: expected ${VAULT_KEY_BYTES} bytes written as 64 hex characters or 44 base64 characters, but ${shape}; ${howToFix}`,
    );
  }
  if (key.every((b) => b === key[0])) {
    throw new Error(`${where} is not a usable key: all its bytes are equal (a placeholder?); ${howToFix}`);
  }
  return key;
}

function loadFromFile(path: string, deps: KeySourceDeps): LoadedVaultKey {
  const where = `MFA key file ${path}`;
  const fix = howToCreateFile(path);
  const stat = deps.stat ?? ((p: string) => statSync(p));
  const readFile = deps.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  let st: { mode: number; size: number; isFile(): boolean };
  try {
    st = stat(path);
  } catch (e) {
    throw new Error(`${where} ${describeFsError(e)}; ${fix}`);
  }
  if (!st.isFile()) throw new Error(`${where} is not a regular file; ${fix}`);
  if (st.size > MAX_KEY_FILE_BYTES) throw new Error(`${where} is too large to be a key (${st.size} bytes); ${fix}`);
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new Error(`${where} ${describeFsError(e)}; ${fix}`);
  }
  const key = parseVaultKey(text, where, fix);
  const mode = st.mode & 0o777;
  const platform = deps.platform ?? process.platform;
  return {
    key,
    keyId: vaultKeyId(key),
    source: 'file',
    location: path,
    insecurePermissions: platform !== 'win32' && (mode & 0o077) !== 0,
    mode,
  };
}

function describeFsError(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read (permission denied: it must be readable by the sipwarden user)';
    case 'EISDIR':
      return 'is a directory';
    default:
      return `cannot be read (${code || 'unknown error'})`;
  }
}

function loadFromEnv(name: string, value: string): LoadedVaultKey {
  const key = parseVaultKey(value, `MFA key environment variable ${name}`, howToCreateEnv(name));
  return { key, keyId: vaultKeyId(key), source: 'env', location: name, insecurePermissions: false };
}

/** Load the key; throws an Error explaining what is missing or wrong and how to make a key. */
export function loadVaultKey(source: VaultKeySource, deps: KeySourceDeps = {}): LoadedVaultKey {
  const env = deps.env ?? process.env;
  if (source.env !== undefined && source.env !== '') {
    const value = env[source.env];
    if (value !== undefined && value.trim() !== '') return loadFromEnv(source.env, value);
    if (source.file === undefined || source.file === '') {
      throw new Error(`MFA key environment variable ${source.env} is not set; ${howToCreateEnv(source.env)}`);
    }
  }
  if (source.file !== undefined && source.file !== '') return loadFromFile(source.file, deps);
  throw new Error(
    `no MFA key configured: give a key file (${howToCreateFile(EXAMPLE_FILE)}) or an environment variable holding the key`,
  );
}
