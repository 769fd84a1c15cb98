/**
 * The admin_api config section: defaults, token hashes, durations, readable errors.
 */
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/admin/auth.js';
import { adminApiSection } from '../../../src/config/sections/admin-api.js';

const HASH = hashToken('some-long-random-token');

function issues(input: unknown): string[] {
  const result = adminApiSection.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('admin_api config section', () => {
  it('has safe defaults: no tokens, open /metrics and /healthz, 10 failures in 10 minutes block for 10 minutes', () => {
    expect(adminApiSection.parse({})).toEqual({
      tokens: [],
      metrics_auth: 'open',
      health_auth: 'open',
      brute_force: { max_failures: 10, window: 600_000, block_for: 600_000 },
      default_block_duration: 3_600_000,
    });
  });

  it('takes tokens as SHA-256 hex (normalised to lowercase) with a role', () => {
    const parsed = adminApiSection.parse({
      tokens: [
        { name: 'grafana', sha256: HASH.toUpperCase(), role: 'read' },
        { name: 'ops', sha256: hashToken('other'), role: 'admin' },
      ],
      metrics_auth: 'token',
      brute_force: { max_failures: 5, window: '2m', block_for: '1h' },
      default_block_duration: '2h',
    });
    expect(parsed.tokens[0]).toEqual({ name: 'grafana', sha256: HASH, role: 'read' });
    expect(parsed.metrics_auth).toBe('token');
    expect(parsed.brute_force).toEqual({ max_failures: 5, window: 120_000, block_for: 3_600_000 });
    expect(parsed.default_block_duration).toBe(7_200_000);
  });

  it('refuses clear-text tokens, unknown roles, duplicates and unknown keys, naming the key', () => {
    expect(issues({ tokens: [{ name: 'ops', sha256: 'my-secret-token', role: 'admin' }] })).toEqual([
      expect.stringMatching(/^tokens\.0\.sha256: must be the 64-hex-digit SHA-256 of the token/),
    ]);
    expect(issues({ tokens: [{ name: 'ops', sha256: HASH, role: 'root' }] })[0]).toMatch(/^tokens\.0\.role: /);
    expect(issues({ tokens: [{ name: 'ops', sha256: HASH }] })[0]).toMatch(/^tokens\.0\.role: /);
    expect(
      issues({
        tokens: [
          { name: 'a', sha256: HASH, role: 'read' },
          { name: 'a', sha256: HASH.toUpperCase(), role: 'admin' },
        ],
      }),
    ).toEqual(['tokens.1.name: duplicate token name "a"', 'tokens.1.sha256: the same token hash appears twice']);
    expect(issues({ tokens: [{ name: 'bad name', sha256: HASH, role: 'read' }] })[0]).toMatch(/^tokens\.0\.name: /);
    expect(issues({ token: [] })[0]).toMatch(/token/);
    expect(issues({ metrics_auth: 'basic' })[0]).toMatch(/^metrics_auth: /);
  });

  it('refuses bad durations and thresholds', () => {
    expect(issues({ brute_force: { window: '10 min' } })).toEqual([expect.stringMatching(/^brute_force\.window: "10 min" is not a duration/)]);
    expect(issues({ brute_force: { block_for: 0 } })[0]).toMatch(/^brute_force\.block_for: /);
    expect(issues({ brute_force: { max_failures: 0 } })[0]).toMatch(/^brute_force\.max_failures: /);
    expect(issues({ default_block_duration: '-1h' })[0]).toMatch(/^default_block_duration: /);
  });
});

describe('sipwarden hash-token', () => {
  it('prints a config entry with the hash of the token read from stdin', async () => {
    const { hashTokenOutput } = await import('../../../src/admin/token-cli.js');
    const out = hashTokenOutput({ name: 'ops', role: 'admin' }, 'some-long-random-token\n');
    expect(out).toContain(`sha256: ${HASH}`);
    expect(out).toContain('role: admin');
    expect(out).not.toContain('some-long-random-token');
    expect(adminApiSection.parse({ tokens: [{ name: 'ops', sha256: HASH, role: 'admin' }] }).tokens).toHaveLength(1);
    expect(() => hashTokenOutput({}, 'short')).toThrow(/16 characters/);
  });

  it('generates a token and prints it once with its hash', async () => {
    const { hashTokenOutput } = await import('../../../src/admin/token-cli.js');
    const out = hashTokenOutput({ generate: true }, '');
    const token = /not stored anywhere\): (\S+)/.exec(out)?.[1] ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(out).toContain(`sha256: ${hashToken(token)}`);
  });
});
