/** The Grafana dashboard only queries metrics the daemon really exports, and the top-offender gauge follows the events. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startDaemon, type RunningDaemon } from '../support/daemon.js';

const DASHBOARD = new URL('../../grafana/sipwarden-dashboard.json', import.meta.url);
let dir: string;
let daemon: RunningDaemon;
const clock = new ManualClock();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sipwarden-dash-'));
  writeFileSync(path.join(dir, 'mfa.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
  daemon = await startDaemon({ drachtioPort: 1, pbxPort: 5060, dir, clock, yaml: `mfa:\n  enabled: true\n  key_file: ${path.join(dir, 'mfa.key')}\n` });
});

afterAll(async () => {
  await daemon.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Panel {
  readonly title: string;
  readonly targets?: ReadonlyArray<{ readonly expr: string }>;
}

describe('Grafana dashboard', () => {
  it('every PromQL expression uses metrics that /metrics exports', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const exported = new Set(
      [...(await (await fetch(`${daemon.adminUrl}/metrics`)).text()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]),
    );
    const used = dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/\b(sipwarden_[a-z_]+)/g)].map((m) => ({ panel: p.title, name: m[1] ?? '' }))));
    expect(used.length).toBeGreaterThan(15);
    for (const { panel, name } of used) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      expect(exported, `${panel}: ${name}`).toContain(base);
    }
    for (const wanted of ['Requests by verdict', 'Active blocks by source', 'Authentication failures and new blocks', 'Top offenders (security events, last hour)', 'Decision latency']) {
      expect(dashboard.panels.map((p) => p.title)).toContain(wanted);
    }
  });

  it('the top-offender gauge lists the most active addresses of the last hour, at most ten', async () => {
    for (let i = 0; i < 12; i++) {
      for (let n = 0; n <= i; n++) daemon.app.events.record({ type: 'scanner', severity: 'high', ip: `203.0.113.${i}`, username: null, method: 'OPTIONS', details: {}, at: clock.now() });
    }
    const text = await (await fetch(`${daemon.adminUrl}/metrics`)).text();
    const series = [...text.matchAll(/^sipwarden_top_offender_events\{ip="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
    expect(series).toHaveLength(10);
    expect(series).toContainEqual(['203.0.113.11', 12]);
    expect(series.map(([ip]) => ip)).not.toContain('203.0.113.0');
  });
});
