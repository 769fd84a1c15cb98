/** sipwarden's version, from package.json (read once at start). */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'sipwarden' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next place: src/ when run from source, dist/src/ when built
    }
  }
  return '0.0.0-unknown';
}

export const SIPWARDEN_VERSION = readVersion();
