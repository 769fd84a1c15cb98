/**
 * Finds and runs a real drachtio-server for the e2e suite: DRACHTIO_BIN, else `drachtio` on PATH.
 * Nothing here builds it (see the README: it is built outside this repository).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';

export function findDrachtio(): string | null {
  const fromEnv = process.env['DRACHTIO_BIN'];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  const which = spawnSync('sh', ['-c', 'command -v drachtio'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return which.status === 0 && found !== '' ? found : null;
}

export interface DrachtioServer {
  readonly process: ChildProcess;
  readonly output: string[];
  stop(): Promise<void>;
}

export async function startDrachtio(
  binary: string,
  options: { dir: string; adminPort: number; sipPort: number; secret: string; blacklist?: { port: number; key: string } },
): Promise<DrachtioServer> {
  const blacklist = options.blacklist
    ? `\n    <blacklist>\n      <redis-address>127.0.0.1</redis-address>\n      <redis-port>${options.blacklist.port}</redis-port>\n      <redis-key>${options.blacklist.key}</redis-key>\n      <refresh-secs>1</refresh-secs>\n    </blacklist>`
    : '';
  const conf = path.join(options.dir, 'drachtio.conf.xml');
  writeFileSync(
    conf,
    `<drachtio>
  <admin port="${options.adminPort}" secret="${options.secret}">127.0.0.1</admin>
  <sip>
    <contacts><contact>sip:127.0.0.1:${options.sipPort};transport=udp</contact></contacts>${blacklist}
  </sip>
  <cdrs>true</cdrs>
  <logging>
    <console/>
    <sofia-loglevel>1</sofia-loglevel>
    <loglevel>notice</loglevel>
  </logging>
</drachtio>
`,
  );
  const child = spawn(binary, ['-f', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`drachtio-server exited (${child.exitCode}): ${output.join('')}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: options.adminPort }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) throw new Error(`drachtio-server did not open its admin port: ${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    process: child,
    output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
