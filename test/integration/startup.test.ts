/** Started before drachtio-server, the daemon waits for it, says so, and reports not ready until it is there. */
import { afterEach, describe, expect, it } from 'vitest';
import { DrachtioWireServer } from '../support/drachtio-wire-server.js';
import { startDaemon, waitFor, type RunningDaemon } from '../support/daemon.js';
import { freeTcpPort } from '../support/ports.js';
import { PbxStandIn } from '../support/pbx-standin.js';
import { options } from '../support/sip-messages.js';

let daemon: RunningDaemon | undefined;
let wire: DrachtioWireServer | undefined;

afterEach(async () => {
  await daemon?.dispose();
  await wire?.close();
});

describe('start without drachtio-server', () => {
  it('stays up, serves /healthz (503) and /metrics, logs that it waits, then connects when the server appears', async () => {
    const port = await freeTcpPort();
    const logs: Array<Record<string, unknown>> = [];
    daemon = await startDaemon({ drachtioPort: port, pbxPort: 5060, logs });
    const url = daemon.adminUrl;

    await waitFor(() => logs.some((l) => l['msg'] === 'waiting for drachtio-server'), 'the waiting log line');
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'not-ready', drachtio: { connected: false }, database: { writable: true } });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^sipwarden_drachtio_connected 0$/m);

    wire = await DrachtioWireServer.start({ port });
    await wire.waitForApp(['REGISTER'], 5000);
    await waitFor(() => daemon?.app.sip.connected === true, 'the connection');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^sipwarden_drachtio_connected 1$/m);
    expect(logs.some((l) => l['msg'] === 'connected to drachtio-server')).toBe(true);
  });

  it('refuses a wrong secret with a log line that says what to check', async () => {
    wire = await DrachtioWireServer.start({ secret: 'right' });
    const logs: Array<Record<string, unknown>> = [];
    daemon = await startDaemon({ drachtioPort: wire.port, pbxPort: 5060, secret: 'wrong', logs });
    await waitFor(() => logs.some((l) => String(l['msg']).includes('check drachtio.secret')), 'the refusal log line');
    expect(daemon.app.sip.connected).toBe(false);
  });
});

describe('outbound mode', () => {
  it('listens for drachtio-server, which dials in; requests are decided and proxied as in inbound mode', async () => {
    const port = await freeTcpPort();
    const pbx = await PbxStandIn.start({ answer: () => ({ status: 200 }) });
    try {
      daemon = await startDaemon({ drachtioPort: 1, pbxPort: pbx.port, outboundListenPort: port });
      expect(daemon.app.sip.connected).toBe(false);
      wire = await DrachtioWireServer.start();
      await wire.dialApp(port);
      await waitFor(() => daemon?.app.sip.connected === true, 'the outbound connection');
      expect(await wire.inject(options({ user: '1001' }), { sourceAddress: '127.0.0.2' })).toMatchObject({ kind: 'proxied', finalStatus: 200 });
      expect(await wire.inject(options({ user: '1001', ua: 'friendly-scanner' }), { sourceAddress: '127.0.0.3' })).toMatchObject({ kind: 'response', status: 403 });
    } finally {
      await pbx.close();
    }
  });
});
