/**
 * Every RFC 4475 torture message through the real daemon (real drachtio-srf over the wire
 * test server): nothing may crash it or leave state behind, and the valid ones are handled
 * as INDEX.tsv says a proxy should (forwarded to the PBX, which answers them).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrachtioWireServer, type InjectResult } from '../support/drachtio-wire-server.js';
import { ManualClock, startDaemon, waitFor, type RunningDaemon } from '../support/daemon.js';
import { PbxStandIn } from '../support/pbx-standin.js';
import { options } from '../support/sip-messages.js';

const DIR = new URL('../../../shared/testdata/rfc4475/', import.meta.url);
const index = readFileSync(new URL('INDEX.tsv', DIR), 'utf8')
  .split(/\r?\n/)
  .slice(1)
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const [name = '', section = '', category = '', , proxyExpected = ''] = line.split('\t');
    return { name, section, category, proxyExpected };
  });

let wire: DrachtioWireServer;
let pbx: PbxStandIn;
let daemon: RunningDaemon;
const clock = new ManualClock();
const results = new Map<string, InjectResult>();

beforeAll(async () => {
  wire = await DrachtioWireServer.start();
  pbx = await PbxStandIn.start({ answer: () => ({ status: 200 }) });
  daemon = await startDaemon({ drachtioPort: wire.port, pbxPort: pbx.port, clock });
  await wire.waitForApp(['REGISTER', 'INVITE', 'OPTIONS']);
  let n = 0;
  for (const { name } of index) {
    n++;
    clock.advance(1000);
    // Messages are bytes as published (some are not UTF-8); latin1 keeps every byte.
    const raw = readFileSync(new URL(`${name}.dat`, DIR)).toString('latin1');
    results.set(name, await wire.inject(raw, { sourceAddress: `127.0.44.${n}`, timeoutMs: 1500 }));
  }
  await waitFor(() => daemon.app.sip.pending === 0, 'proxied transactions to complete', 10_000);
}, 120_000);

afterAll(async () => {
  await daemon.dispose();
  await wire.close();
  await pbx.close();
});

describe('RFC 4475 torture messages', () => {
  it('covers all 49 messages of the index', () => {
    expect(index).toHaveLength(49);
    const files = readdirSync(DIR).filter((f) => f.endsWith('.dat')).map((f) => f.slice(0, -4));
    expect(files.sort()).toEqual(index.map((m) => m.name).sort());
  });

  it('the daemon survives them all and keeps working', async () => {
    expect(daemon.app.sip.connected).toBe(true);
    expect((await fetch(`${daemon.adminUrl}/healthz`)).status).toBe(200);
    clock.advance(1000);
    expect(await wire.inject(options({ user: '1001' }), { sourceAddress: '127.0.45.1' })).toMatchObject({ kind: 'proxied', finalStatus: 200 });
  });

  it('leaves no block and no security event behind', () => {
    expect(daemon.app.guards.blocklist.active(clock.now())).toEqual([]);
    daemon.app.events.flush();
    expect(daemon.app.events.query({ limit: 100, offset: 0 }).items).toEqual([]);
  });

  const valid = index.filter((m) => m.category === 'valid');
  /** Valid messages that never reach an application: methods no app can subscribe to, and stray responses. */
  const handledByServer: Record<string, InjectResult['kind']> = { intmeth: 'response', esc02: 'response', unreason: 'no-answer', noreason: 'no-answer' };
  it.each(valid.map((m) => [m.name, m.proxyExpected] as const))('valid %s is handled as a proxy should (%s)', (name) => {
    const result = results.get(name);
    const byServer = handledByServer[name];
    if (byServer !== undefined) {
      expect(result?.kind, name).toBe(byServer);
      return;
    }
    expect(result, name).toMatchObject({ kind: 'proxied', finalStatus: 200 });
  });

  const invalid = index.filter((m) => m.category === 'invalid');
  it.each(invalid.map((m) => [m.name] as const))('invalid %s is never forwarded as if it were fine, and never answered 2xx by sipwarden', (name) => {
    const result = results.get(name);
    expect(result, name).toBeDefined();
    if (result?.kind === 'response') expect(result.status).toBeGreaterThanOrEqual(400);
  });
});
