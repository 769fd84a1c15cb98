/**
 * Do-Not-Disturb through the SIP path and the admin API: an INVITE to an extension in DND is
 * answered by sipwarden (486 + Retry-After) and never reaches the PBX; after DND ends it is
 * proxied again. Rules and overrides go through /api/v1/dnd and survive a restart.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/admin/auth.js';
import { apiCall } from '../support/admin-api.js';
import { DrachtioWireServer } from '../support/drachtio-wire-server.js';
import { ManualClock, startDaemon, type RunningDaemon } from '../support/daemon.js';
import { PbxStandIn } from '../support/pbx-standin.js';
import { invite } from '../support/sip-messages.js';

const TOKEN = 'dnd-admin-token-0123456789abcdefghijklmnop';
const YAML = `admin_api:\n  tokens:\n    - { name: ops, sha256: ${hashToken(TOKEN)}, role: admin }\ndnd:\n  default_timezone: Europe/Berlin\n`;

let wire: DrachtioWireServer;
let pbx: PbxStandIn;
let daemon: RunningDaemon;
// Monday 2026-06-01 09:00 UTC = 11:00 in Berlin.
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(Date.parse('2026-06-01T09:00:00Z'));
  wire = await DrachtioWireServer.start();
  pbx = await PbxStandIn.start({ answer: () => ({ status: 200 }) });
  daemon = await startDaemon({ drachtioPort: wire.port, pbxPort: pbx.port, clock, yaml: YAML });
  await wire.waitForApp(['INVITE']);
});

afterEach(async () => {
  await daemon.dispose();
  await wire.close();
  await pbx.close();
});

const api = (method: string, path: string, body?: unknown) => apiCall(daemon.adminUrl, TOKEN, method, path, body);

const call = (toUser: string, fromUser = '1001') => wire.inject(invite({ toUser, fromUser }), { sourceAddress: '127.0.0.2' });

describe('DND on INVITE', () => {
  it('a manual override holds calls with 486 and Retry-After until it ends, then calls ring again', async () => {
    expect((await api('PUT', '/dnd/overrides/1002', { state: 'on', minutes: 30, note: 'meeting' })).status).toBe(200);
    const held = await call('1002');
    expect(held).toMatchObject({ kind: 'response', status: 486, reason: 'Do Not Disturb', headers: { 'retry-after': '1800' } });
    expect(pbx.requests).toHaveLength(0);
    expect(await call('1003')).toMatchObject({ kind: 'proxied', finalStatus: 200 });

    const status = await api('GET', '/dnd/status/1002');
    expect(status.json).toMatchObject({ extension: '1002', dnd: true, reason: 'override', until: '2026-06-01T09:30:00.000Z' });

    clock.advance(30 * 60_000);
    expect(await call('1002')).toMatchObject({ kind: 'proxied', finalStatus: 200 });
    expect(await daemon.app.metrics.registry.getSingleMetricAsString('sipwarden_dnd_calls_held_total')).toMatch(/extension="1002"} 1/);
  });

  it('a weekly rule in the extension time zone, the per-extension status, and a caller exception', async () => {
    // Monday 10:00-12:00 Berlin covers 11:00 Berlin.
    const rule = await api('PUT', '/dnd/rules/focus', { extension: '1004', days: ['mon'], start: '10:00', end: '12:00' });
    expect(rule.status).toBe(200);
    expect(await call('1004')).toMatchObject({ kind: 'response', status: 486, headers: { 'retry-after': '3600' } });

    expect((await api('PUT', '/dnd/settings/1004', { responseStatus: 480 })).status).toBe(200);
    expect(await call('1004')).toMatchObject({ kind: 'response', status: 480, reason: 'Do Not Disturb' });

    expect((await api('PUT', '/dnd/exceptions/boss', { extension: '1004', pattern: '1099' })).status).toBe(200);
    expect(await call('1004', '1099')).toMatchObject({ kind: 'proxied' });

    clock.advance(60 * 60_000);
    expect(await call('1004')).toMatchObject({ kind: 'proxied' });
  });

  it('refuses bad input naming the field, and keeps everything across a restart', async () => {
    const bad = await api('PUT', '/dnd/rules/r1', { extension: '1005', days: ['mon'], start: '25:00', end: '12:00' });
    expect(bad.status).toBe(400);
    expect(String(bad.json['message'])).toMatch(/start/);
    const badZone = await api('PUT', '/dnd/rules/r1', { extension: '1005', days: ['mon'], start: '10:00', end: '12:00', timezone: 'Mars/Olympus' });
    expect(badZone.status).toBe(400);
    expect(String(badZone.json['message'])).toMatch(/timezone/);

    await api('PUT', '/dnd/rules/r1', { extension: '1005', days: ['mon'], start: '10:00', end: '12:00' });
    await api('PUT', '/dnd/overrides/1006', { state: 'on', until: null });
    const dir = daemon.dir;
    await daemon.stop();
    daemon = await startDaemon({ drachtioPort: wire.port, pbxPort: pbx.port, clock, yaml: YAML, dir });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await wire.waitForApp(['INVITE']);
    expect((await api('GET', '/dnd/rules?extension=1005')).json['items']).toHaveLength(1);
    expect(await call('1005')).toMatchObject({ kind: 'response', status: 486 });
    expect(await call('1006')).toMatchObject({ kind: 'response', status: 486 });
    const all = await api('GET', '/dnd/status');
    expect((all.json['items'] as Array<{ extension: string; dnd: boolean }>).filter((s) => s.dnd).map((s) => s.extension).sort()).toEqual(['1005', '1006']);
  });

  it('re-INVITEs inside a dialog are never held', async () => {
    await api('PUT', '/dnd/overrides/1007', { state: 'on', until: null });
    const reinvite = await wire.inject(invite({ toUser: '1007', fromUser: '1001', toTag: 'established' }), { sourceAddress: '127.0.0.2' });
    expect(reinvite).toMatchObject({ kind: 'proxied' });
  });
});

describe('calendar feeds through the API', () => {
  it('a busy event in a feed holds calls; a failing feed keeps the last good copy; removing the feed ends it', async () => {
    const { createServer } = await import('node:http');
    let failing = false;
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//sipwarden test//EN',
      'BEGIN:VEVENT',
      'UID:standup-1@test',
      'DTSTAMP:20260601T080000Z',
      'DTSTART:20260601T083000Z',
      'DTEND:20260601T093000Z',
      'SUMMARY:Board meeting',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const server = createServer((_req, res) => {
      if (failing) {
        res.writeHead(500).end('down');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/calendar' }).end(ics);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const put = await api('PUT', '/dnd/calendars/1010-work', { extension: '1010', source: `http://127.0.0.1:${port}/1010.ics` });
      expect(put.status).toBe(200);
      const deadline = Date.now() + 3000;
      while ((await api('GET', '/dnd/status/1010')).json['dnd'] !== true && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect((await api('GET', '/dnd/status/1010')).json).toMatchObject({ dnd: true, reason: 'calendar', eventSummary: 'Board meeting', until: '2026-06-01T09:30:00.000Z' });
      expect(await call('1010')).toMatchObject({ kind: 'response', status: 486, headers: { 'retry-after': '1800' } });

      // The same feed again (a PUT polls it now): the server fails, the last good copy stays.
      failing = true;
      expect((await api('PUT', '/dnd/calendars/1010-work', { extension: '1010', source: `http://127.0.0.1:${port}/1010.ics` })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 200));
      const feeds = (await api('GET', '/dnd/calendars')).json['items'] as Array<{ id: string; hasSnapshot: boolean; lastErrorAt: number | null }>;
      expect(feeds.find((f) => f.id === '1010-work')).toMatchObject({ hasSnapshot: true, lastErrorAt: expect.any(Number) });
      expect(await call('1010')).toMatchObject({ kind: 'response', status: 486 });

      expect((await api('DELETE', '/dnd/calendars/1010-work')).status).toBe(200);
      expect(await call('1010')).toMatchObject({ kind: 'proxied' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
