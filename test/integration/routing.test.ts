/**
 * Queue routing through the SIP path: agents register through sipwarden, an INVITE to a queue
 * rings the best agent first and fails over to the next, agents in DND or without the skill are
 * skipped, and a queue nobody can serve answers its configured status.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/admin/auth.js';
import { apiCall } from '../support/admin-api.js';
import { DrachtioWireServer } from '../support/drachtio-wire-server.js';
import { ManualClock, startDaemon, waitFor, type RunningDaemon } from '../support/daemon.js';
import { PbxStandIn } from '../support/pbx-standin.js';
import { invite, register } from '../support/sip-messages.js';

const TOKEN = 'routing-admin-token-0123456789abcdefghijkl';
const YAML = `admin_api:\n  tokens:\n    - { name: ops, sha256: ${hashToken(TOKEN)}, role: admin }\n`;
/** How each agent's phone answers a queue call (via the PBX stand-in). */
const answers: Record<string, number> = { '2001': 486, '2002': 200, '2003': 200 };

let wire: DrachtioWireServer;
let pbx: PbxStandIn;
let daemon: RunningDaemon;
let clock: ManualClock;

const api = (method: string, path: string, body?: unknown) => apiCall(daemon.adminUrl, TOKEN, method, path, body);

async function settled(): Promise<void> {
  await waitFor(() => daemon.app.sip.pending === 0, 'proxied transactions');
}

beforeEach(async () => {
  clock = new ManualClock();
  wire = await DrachtioWireServer.start();
  pbx = await PbxStandIn.start({
    answer: (request) => {
      if (request.method !== 'INVITE') return { status: 200 };
      const user = /^sip:([^@]+)@/.exec(request.requestUri)?.[1] ?? '';
      return { status: answers[user] ?? 404 };
    },
  });
  daemon = await startDaemon({ drachtioPort: wire.port, pbxPort: pbx.port, clock, yaml: YAML });
  await wire.waitForApp(['INVITE', 'REGISTER']);

  expect((await api('POST', '/skills', { id: 'sales', name: 'Sales', description: 'sells things' })).status).toBe(201);
  expect((await api('POST', '/skills', { id: 'french', name: 'French', description: '' })).status).toBe(201);
  for (const [ext, proficiency] of [['2001', 9], ['2002', 6], ['2003', 3]] as const) {
    expect((await api('PUT', `/skills/agents/${ext}/sales`, { proficiency })).status).toBe(200);
  }
  expect((await api('PUT', '/queues/5000', { strategy: 'longest-idle', ringTimeoutSeconds: 2, maxAgents: 3, fallbackToAny: false, noAgentStatus: 480 })).status).toBe(200);
  expect((await api('PUT', '/queues/5000/requirements/sales', { minProficiency: 5, kind: 'required' })).status).toBe(200);
  expect((await api('PUT', '/queues/5001', { strategy: 'round-robin', ringTimeoutSeconds: 2, maxAgents: 2, fallbackToAny: false, noAgentStatus: 486 })).status).toBe(200);
  expect((await api('PUT', '/queues/5001/requirements/french', { minProficiency: 8, kind: 'required' })).status).toBe(200);
  // The agents' phones register through sipwarden.
  let n = 10;
  for (const ext of ['2001', '2002', '2003']) {
    const answer = await wire.inject(register({ user: ext, contact: `<sip:${ext}@127.0.8.${n++}:5062>` }), { sourceAddress: '127.0.8.1' });
    expect(answer).toMatchObject({ kind: 'proxied', finalStatus: 200 });
  }
  await settled();
});

afterEach(async () => {
  await daemon.dispose();
  await wire.close();
  await pbx.close();
});

const queueCall = () => wire.inject(invite({ toUser: '5000', fromUser: '1001' }), { sourceAddress: '127.0.8.2' });

describe('queue routing', () => {
  it('rings the best agent first and fails over to the next when it is busy; the unqualified agent is never rung', async () => {
    const dry = await api('GET', '/queues/5000/dry-run');
    expect((dry.json['ranked'] as Array<{ extension: string }>).map((a) => a.extension)).toEqual(['2001', '2002']);
    expect(dry.json['excluded']).toEqual([expect.objectContaining({ extension: '2003' })]);

    const result = await queueCall();
    await settled();
    expect(result).toMatchObject({ kind: 'proxied', finalStatus: 200 });
    expect(wire.proxied.filter((p) => p.method === 'INVITE').map((p) => p.requestUri)).toEqual([`sip:2001@127.0.0.1:${pbx.port}`, `sip:2002@127.0.0.1:${pbx.port}`]);

    // 2001 answered busy: held back; 2002 is in a call now: nobody left for the next call.
    const agents = (await api('GET', '/agents')).json['items'] as Array<{ extension: string; available: boolean; heldBackFor: string | null; activeCalls: number }>;
    expect(agents.find((a) => a.extension === '2001')).toMatchObject({ available: false, heldBackFor: 'busy' });
    expect(agents.find((a) => a.extension === '2002')).toMatchObject({ available: false, activeCalls: 1 });
    expect(await queueCall()).toMatchObject({ kind: 'response', status: 480, reason: 'Temporarily Unavailable' });

    const metrics = await daemon.app.metrics.registry.metrics();
    expect(metrics).toMatch(/sipwarden_queue_calls_total\{queue="5000",outcome="answered"\} 1/);
    expect(metrics).toMatch(/sipwarden_queue_ring_attempts_total\{queue="5000",outcome="busy"\} 1/);
    expect(metrics).toMatch(/sipwarden_queue_calls_total\{queue="5000",outcome="no-agent"\} 1/);
  });

  it('an agent leaves the call when drachtio-server reports its end (CDR), then wraps up', async () => {
    const callId = 'queue-call-1@test';
    await wire.inject(invite({ toUser: '5000', fromUser: '1001', callId }), { sourceAddress: '127.0.8.2' });
    await settled();
    const agent = async (ext: string) => ((await api('GET', '/agents')).json['items'] as Array<{ extension: string; activeCalls: number; available: boolean }>).find((a) => a.extension === ext);
    expect(await agent('2002')).toMatchObject({ activeCalls: 1, available: false });
    expect(wire.sendCdrStop(invite({ toUser: '5000', fromUser: '1001', callId, method: 'BYE', toTag: 'x' }))).toBe(1);
    const deadline = Date.now() + 2000;
    while ((await agent('2002'))?.activeCalls !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await agent('2002')).toMatchObject({ activeCalls: 0, available: false });
    clock.advance(10_000);
    expect(await agent('2002')).toMatchObject({ available: true });
  });

  it('skips an agent in DND', async () => {
    expect((await api('PUT', '/dnd/overrides/2001', { state: 'on', until: null })).status).toBe(200);
    const result = await queueCall();
    await settled();
    expect(result).toMatchObject({ kind: 'proxied', finalStatus: 200 });
    expect(wire.proxied.filter((p) => p.method === 'INVITE').map((p) => p.requestUri)).toEqual([`sip:2002@127.0.0.1:${pbx.port}`]);
  });

  it('a call no qualified agent can take gets the queue status', async () => {
    const result = await wire.inject(invite({ toUser: '5001', fromUser: '1001' }), { sourceAddress: '127.0.8.2' });
    expect(result).toMatchObject({ kind: 'response', status: 486, reason: 'Busy Here' });
    expect(pbx.requests.filter((r) => r.method === 'INVITE')).toHaveLength(0);
  });

  it('a paused agent is skipped until unpaused; bad input names the field', async () => {
    expect((await api('POST', '/agents/2001/pause', { note: 'lunch' })).status).toBe(200);
    expect(((await api('GET', '/queues/5000/dry-run')).json['ranked'] as Array<{ extension: string }>).map((a) => a.extension)).toEqual(['2002']);
    expect((await api('DELETE', '/agents/2001/pause')).status).toBe(200);
    expect(((await api('GET', '/queues/5000/dry-run')).json['ranked'] as Array<{ extension: string }>).map((a) => a.extension)).toEqual(['2001', '2002']);

    const bad = await api('PUT', '/skills/agents/2004/sales', { proficiency: 11 });
    expect(bad.status).toBe(400);
    expect(String(bad.json['message'])).toMatch(/proficiency/);
    expect((await api('PUT', '/skills/agents/2004/nosuchskill', { proficiency: 5 })).status).toBeGreaterThanOrEqual(400);
  });

  it('the configuration survives a restart', async () => {
    const dir = daemon.dir;
    await daemon.stop();
    daemon = await startDaemon({ drachtioPort: wire.port, pbxPort: pbx.port, clock, yaml: YAML, dir });
    expect((await api('GET', '/skills')).json['items']).toHaveLength(2);
    expect((await api('GET', '/queues/5000/requirements')).json['items']).toEqual([expect.objectContaining({ skill: 'sales', minProficiency: 5 })]);
  });
});

describe('agents reached at their registered contact', () => {
  it('rewrites the Request-URI to the contact each agent registered through sipwarden', async () => {
    const dir = daemon.dir;
    await daemon.stop();
    await waitFor(() => wire.connectedApps === 0, 'the old connection to close');
    daemon = await startDaemon({ drachtioPort: wire.port, pbxPort: pbx.port, clock, dir, yaml: `${YAML}routing:\n  agent_address: contact\n` });
    await wire.waitForApp(['INVITE', 'REGISTER']);
    // 2002's phone is the PBX stand-in itself here, so that its contact answers.
    await wire.inject(register({ user: '2002', contact: `<sip:2002@127.0.0.1:${pbx.port}>` }), { sourceAddress: '127.0.8.1' });
    await settled();
    await api('POST', '/agents/2001/pause');
    const result = await queueCall();
    await settled();
    expect(result).toMatchObject({ kind: 'proxied', finalStatus: 200 });
    expect(wire.proxied.filter((p) => p.method === 'INVITE').map((p) => p.destination)).toEqual([`sip:2002@127.0.0.1:${pbx.port}`]);
  });
});
