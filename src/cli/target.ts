/**
 * Where the running daemon is, and which bearer token to present.
 *
 * URL: --url, else --config given on the command line, else SIPWARDEN_URL, else the admin
 * listener (admin.host/admin.port) of /etc/sipwarden/config.yml. A wildcard admin.host
 * (0.0.0.0, ::) is reached on loopback.
 *
 * Token: --token-file, else SIPWARDEN_TOKEN, else /etc/sipwarden/admin.token. The config file
 * holds only SHA-256 hashes of tokens, so the token itself always comes from one of these.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseBearer } from '../admin/auth.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { CliError, EXIT } from './client.js';

export const DEFAULT_CONFIG = '/etc/sipwarden/config.yml';
export const DEFAULT_TOKEN_FILE = '/etc/sipwarden/admin.token';

export interface TargetOptions {
  /** The config file to read admin.host/admin.port from. */
  readonly config?: string;
  /** True when --config was given on the command line (it then beats SIPWARDEN_URL). */
  readonly configExplicit?: boolean;
  readonly url?: string;
  readonly tokenFile?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The host to connect to for a listener bound to `host`: wildcards become loopback. */
export function connectHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare === '0.0.0.0' ? '127.0.0.1' : bare;
  if (isIP(bare) === 6) return /^[0:]+$/.test(bare) ? '::1' : bare;
  return bare;
}

/** http://host:port, with IPv6 hosts in brackets. */
export function listenerUrl(host: string, port: number): string {
  const h = connectHost(host);
  return `http://${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
}

export function resolveUrl(options: TargetOptions, env: Env = process.env): string {
  if (options.url !== undefined && options.url !== '') return options.url;
  const fromEnv = env['SIPWARDEN_URL'];
  if (options.configExplicit !== true && fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  const file = options.config ?? DEFAULT_CONFIG;
  let host: string;
  let port: number;
  try {
    ({ host, port } = loadConfig(file).admin);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new CliError(`${err.message} (the admin URL comes from the config file; or pass --url URL, or set SIPWARDEN_URL)`, EXIT.usage);
  }
  if (port === 0) throw new CliError(`${file}: admin.port is 0 (a port chosen at start): pass --url with the port the daemon logged`, EXIT.usage);
  return listenerUrl(host, port);
}

/** Where the token comes from, for messages. */
type TokenSource = { kind: 'file'; path: string; explicit: boolean } | { kind: 'env' };

function checkedToken(text: string, source: TokenSource): string {
  const token = text.trim();
  const where = source.kind === 'env' ? 'SIPWARDEN_TOKEN' : source.path;
  if (token === '') throw new CliError(`${where} is empty: it should hold the admin API bearer token`, EXIT.usage);
  if (parseBearer(`Bearer ${token}`) === null) {
    throw new CliError(`${where} does not hold a bearer token (one line of letters, digits and -._~+/; not the sha256 from the config)`, EXIT.usage);
  }
  return token;
}

export function resolveToken(options: TargetOptions, env: Env = process.env): string {
  if (options.tokenFile !== undefined) return readTokenFile({ kind: 'file', path: options.tokenFile, explicit: true });
  const fromEnv = env['SIPWARDEN_TOKEN'];
  if (fromEnv !== undefined && fromEnv !== '') return checkedToken(fromEnv, { kind: 'env' });
  return readTokenFile({ kind: 'file', path: DEFAULT_TOKEN_FILE, explicit: false });
}

function readTokenFile(source: TokenSource & { kind: 'file' }): string {
  let text: string;
  try {
    text = readFileSync(source.path, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : String(err);
    if (source.explicit) throw new CliError(`--token-file ${source.path}: cannot read it (${code})`, EXIT.usage);
    if (code === 'ENOENT') {
      throw new CliError(
        `no admin API token: pass --token-file FILE, set SIPWARDEN_TOKEN, or put the token in ${source.path} ` +
          '(`sipwarden hash-token --generate --role admin` makes one and its admin_api.tokens entry)',
        EXIT.usage,
      );
    }
    throw new CliError(`no admin API token: cannot read ${source.path} (${code}); run as a user who may, pass --token-file FILE, or set SIPWARDEN_TOKEN`, EXIT.usage);
  }
  return checkedToken(text, source);
}
