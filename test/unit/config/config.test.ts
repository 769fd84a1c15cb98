import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../../src/config/index.js';

const where = { file: 'test.yml', baseDir: '/etc/sipwarden' };
const exampleFile = new URL('../../../config.example.yml', import.meta.url).pathname;

function problem(text: string): string {
  try {
    parseConfig(text, where);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('config loading', () => {
  it('accepts an empty file and fills every default', () => {
    const config = parseConfig('', where);
    expect(config.flood).toMatchObject({ enabled: true, max_requests: 30, window: 2000, block_for: 300_000 });
    expect(config.auth_failures).toMatchObject({ max_failures: 10, window: 3_600_000 });
    expect(config.drachtio).toMatchObject({ mode: 'inbound', host: '127.0.0.1', port: 9022, secret: 'cymru', reconnect_max_delay: 30_000 });
    expect(config.blocking).toMatchObject({ action: 'reject', status: 403, reason: 'Forbidden' });
    expect(config.blocking.escalation).toMatchObject({ enabled: true, factor: 2, max_duration: 604_800_000 });
    expect(config.database.path).toBe('/etc/sipwarden/var/sipwarden.db');
  });

  it('the example config is valid and equal to the defaults', () => {
    const example = loadConfig(exampleFile);
    const defaults = parseConfig('', { file: 'x', baseDir: path.dirname(exampleFile) });
    expect(example).toEqual(defaults);
  });

  it('parses durations with units', () => {
    const config = parseConfig('flood:\n  window: 500ms\n  block_for: 1.5h\nauth_failures:\n  window: 7d\n', where);
    expect(config.flood.window).toBe(500);
    expect(config.flood.block_for).toBe(5_400_000);
    expect(config.auth_failures.window).toBe(604_800_000);
  });

  it('normalises trusted networks, IPv4 and IPv6', () => {
    const config = parseConfig('trusted_networks:\n  - 192.0.2.7/24\n  - 2001:DB8::1/32\n  - "::ffff:10.0.0.1"\n', where);
    expect(config.trusted_networks).toEqual(['192.0.2.0/24', '2001:db8::/32', '10.0.0.1']);
  });

  it('names an unknown key with its line', () => {
    expect(problem('log:\n  level: info\nflood:\n  max_request: 10\n')).toBe('test.yml: line 4: flood.max_request: unknown key (check the spelling against config.example.yml)');
  });

  it('names a wrong type with its line', () => {
    expect(problem('flood:\n  max_requests: thirty\n')).toBe('test.yml: line 2: flood.max_requests: expected number, got the text "thirty"');
  });

  it('names a bad CIDR', () => {
    expect(problem('trusted_networks:\n  - 10.0.0.0/8\n  - 10.0.0.300/8\n')).toMatch(/^test\.yml: line 3: trusted_networks\[1\]: "10\.0\.0\.300\/8" is not an IP address or CIDR range/);
  });

  it('names a bad duration', () => {
    expect(problem('flood:\n  window: 2 seconds\n')).toMatch(/^test\.yml: line 2: flood\.window: "2 seconds" is not a duration/);
  });

  it('refuses bad enum values and out-of-range ports', () => {
    expect(problem('blocking:\n  action: ignore\n')).toMatch(/line 2: blocking\.action: /);
    expect(problem('pbx:\n  port: 70000\n')).toMatch(/line 2: pbx\.port: /);
  });

  it('reports YAML syntax errors with a position', () => {
    expect(problem('flood:\n  window: [2s\n')).toMatch(/^test\.yml: line \d+, column \d+: YAML syntax error/);
  });

  it('refuses duplicate keys', () => {
    expect(problem('flood:\n  window: 2s\n  window: 3s\n')).toMatch(/YAML syntax error/);
  });

  it('reports every problem, one per line', () => {
    const message = problem('flood:\n  max_requests: -1\npbx:\n  transport: carrier-pigeon\n');
    expect(message.split('\n')).toHaveLength(2);
  });

  it('resolves the database path against the config file folder', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-config-'));
    const file = path.join(dir, 'config.yml');
    writeFileSync(file, 'database:\n  path: state/db.sqlite\n');
    expect(loadConfig(file).database.path).toBe(path.join(dir, 'state/db.sqlite'));
  });

  it('says when the file cannot be read', () => {
    expect(() => loadConfig('/nonexistent/sipwarden.yml')).toThrow(/\/nonexistent\/sipwarden\.yml: cannot read the config file \(ENOENT\)/);
  });
});
