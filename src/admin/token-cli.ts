/**
 * `sipwarden hash-token`: turn a bearer token into the SHA-256 that goes in the config.
 *
 * The token is read from standard input (never from the command line, where it would
 * end up in the shell history and in `ps`), or generated with --generate.
 */
import { generateToken, hashToken } from './auth.js';

export interface HashTokenOptions {
  /** Generate a new random token instead of reading one. */
  readonly generate?: boolean;
  /** Name and role to print a ready-to-paste config entry. */
  readonly name?: string;
  readonly role?: 'read' | 'admin';
}

/** Reads all of a stream as UTF-8. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** The text `sipwarden hash-token` prints; `input` is what was read from stdin (ignored with --generate). */
export function hashTokenOutput(options: HashTokenOptions, input: string): string {
  const token = options.generate === true ? generateToken() : input.replace(/\r?\n$/, '');
  if (token.length < 16) throw new Error('the token must be at least 16 characters (use --generate for a random one)');
  if (/\s/.test(token)) throw new Error('the token must not contain spaces or line breaks');
  const entry = [`  - name: ${options.name ?? 'CHANGE-ME'}`, `    sha256: ${hashToken(token)}`, `    role: ${options.role ?? 'read'}`].join('\n');
  return [
    ...(options.generate === true ? [`token (give this to the client; it is not stored anywhere): ${token}`, ''] : []),
    'admin_api:',
    '  tokens:',
    entry,
    '',
  ].join('\n');
}
