/**
 * Where the running daemon is and which token to use: --url / SIPWARDEN_URL, else the admin
 * listener of the config file; --token-file, else SIPWARDEN_TOKEN, else /etc/sipwarden/admin.token.
 * The config file only holds token hashes, so the token itself always comes from elsewhere.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/index.js';
import { CliError, EXIT } from './client.js';

export interface TargetOptions {
  readonly config?: string;
  readonly url?: string;
  readonly tokenFile?: string;
}

export const DEFAULT_CONFIG = '/etc/sipwarden/config.yml';
export const DEFAULT_TOKEN_FILE = '/etc/sipwarden/admin.token';

export function resolveUrl(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = options.url ?? env['SIPWARDEN_URL'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const config = loadConfig(options.config ?? DEFAULT_CONFIG);
  const host = config.admin.host === '0.0.0.0' ? '127.0.0.1' : config.admin.host === '::' ? '::1' : config.admin.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.admin.port}`;
}

export function resolveToken(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): string {
  const file = options.tokenFile;
  if (file === undefined) {
    const fromEnv = env['SIPWARDEN_TOKEN'];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv.trim();
  }
  const path = file ?? DEFAULT_TOKEN_FILE;
  try {
    const token = readFileSync(path, 'utf8').trim();
    if (token !== '') return token;
  } catch {
    // reported below
  }
  throw new CliError(`no admin token: put one in ${path}, or pass --token-file FILE, or set SIPWARDEN_TOKEN`, EXIT.usage);
}
