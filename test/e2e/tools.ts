/** sipp and sipvicious as real SIP peers (Debian packages sip-tester and sipvicious), run to completion with a time bound. */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';

export interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

/** Run a command; killed after timeoutMs (code null then). */
export function run(command: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export { freeTcpPort, freeUdpPort } from '../support/ports.js';

/** Send one OPTIONS from `fromIp` and return the status of the answer, or null when nothing comes back in time. */
export async function optionsFrom(fromIp: string, toPort: number, waitMs = 1500, userAgent = 'Yealink SIP-T46S'): Promise<number | null> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, fromIp, resolve));
  const { port } = socket.address();
  const message = [
    `OPTIONS sip:1001@127.0.0.1:${toPort} SIP/2.0`,
    `Via: SIP/2.0/UDP ${fromIp}:${port};branch=z9hG4bK-${Math.random().toString(36).slice(2)}`,
    'Max-Forwards: 70',
    `From: <sip:probe@${fromIp}>;tag=${Math.random().toString(36).slice(2)}`,
    `To: <sip:1001@127.0.0.1>`,
    `Call-ID: ${Math.random().toString(36).slice(2)}@${fromIp}`,
    'CSeq: 1 OPTIONS',
    `User-Agent: ${userAgent}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.close();
      resolve(null);
    }, waitMs);
    socket.on('message', (data) => {
      const status = /^SIP\/2\.0 (\d{3})/.exec(data.toString('utf8'))?.[1];
      if (status === undefined || Number(status) < 200) return;
      clearTimeout(timer);
      socket.close();
      resolve(Number(status));
    });
    socket.send(message, toPort, '127.0.0.1');
  });
}
