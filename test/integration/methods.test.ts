/** Every method a phone or trunk sends out of dialog reaches the PBX through the real srf handlers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrachtioWireServer } from '../support/drachtio-wire-server.js';
import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { PbxStandIn } from '../support/pbx-standin.js';
import { invite } from '../support/sip-messages.js';

const METHODS = ['REGISTER', 'INVITE', 'OPTIONS', 'SUBSCRIBE', 'NOTIFY', 'MESSAGE', 'INFO', 'REFER', 'PUBLISH', 'UPDATE'];
let wire: DrachtioWireServer;
let pbx: PbxStandIn;
let daemon: RunningDaemon;

beforeAll(async () => {
  wire = await DrachtioWireServer.start();
  pbx = await PbxStandIn.start({ answer: () => ({ status: 200 }) });
  daemon = await startDaemon({ drachtioPort: wire.port, pbxPort: pbx.port });
  await wire.waitForApp(METHODS);
});

afterAll(async () => {
  await daemon.dispose();
  await wire.close();
  await pbx.close();
});

describe('SIP methods', () => {
  it.each(METHODS)('%s is subscribed at drachtio-server and proxied to the PBX', async (method) => {
    const result = await wire.inject(invite({ toUser: '1002', fromUser: '1001', method }), { sourceAddress: '127.0.0.2' });
    expect(result).toMatchObject({ kind: 'proxied', finalStatus: 200 });
    expect(pbx.requests.at(-1)?.method).toBe(method);
  });
});
