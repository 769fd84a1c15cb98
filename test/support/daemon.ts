/**
 * Runs sipwarden's App in the test process with a config written as YAML (as an operator would),
 * a temporary database and a clock the test moves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { App } from '../../src/app.js';
import { parseConfig, type Config } from '../../src/config/index.js';

export class ManualClock {
  constructor(public current = Date.parse('2026-06-01T09:00:00Z')) {}
  readonly now = (): number => this.current;
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface DaemonOptions {
  /** drachtio-server's (or the wire test server's) app port. */
  readonly drachtioPort: number;
  readonly pbxPort: number;
  /** The PBX address (default 127.0.0.1); always trusted. */
  readonly pbxHost?: string;
  /** More YAML, appended to the generated config (sections must not repeat the generated ones: drachtio, pbx, database, admin). */
  readonly yaml?: string;
  readonly clock?: ManualClock;
  /** Reuse a folder (restart tests); a new temp folder otherwise. */
  readonly dir?: string;
  readonly secret?: string;
  /** Outbound mode: sipwarden listens here and drachtio-server dials in. */
  readonly outboundListenPort?: number;
  /** Collect the daemon's log records here (at least at info level). */
  readonly logs?: Array<Record<string, unknown>>;
}

export interface RunningDaemon {
  readonly app: App;
  readonly config: Config;
  readonly dir: string;
  readonly adminUrl: string;
  stop(): Promise<void>;
  /** stop() and delete the folder. */
  dispose(): Promise<void>;
}

export function daemonConfigText(options: DaemonOptions, dir: string): string {
  return [
    'log:',
    `  level: ${process.env['SIPWARDEN_TEST_LOG'] ?? 'silent'}`,
    'drachtio:',
    '  host: 127.0.0.1',
    `  port: ${options.drachtioPort}`,
    `  secret: ${options.secret ?? 'cymru'}`,
    '  reconnect_max_delay: 200ms',
    ...(options.outboundListenPort === undefined ? [] : ['  mode: outbound', `  listen_port: ${options.outboundListenPort}`]),
    'pbx:',
    `  host: ${options.pbxHost ?? '127.0.0.1'}`,
    `  port: ${options.pbxPort}`,
    '  final_timeout: 2s',
    'database:',
    `  path: ${path.join(dir, 'sipwarden.db')}`,
    'admin:',
    '  host: 127.0.0.1',
    '  port: 0',
    options.yaml ?? '',
  ].join('\n');
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'sipwarden-daemon-'));
  const config = parseConfig(daemonConfigText(options, dir), { file: 'test-config.yml', baseDir: dir });
  const logs = options.logs;
  const logger = logs
    ? pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) })
    : pino({ level: config.log.level });
  const app = new App(config, { logger, ...(options.clock ? { clock: options.clock.now } : {}) });
  await app.start();
  const address = app.adminAddress;
  if (!address) throw new Error('the admin listener has no address');
  const stop = (): Promise<void> => app.stop(1000);
  return {
    app,
    config,
    dir,
    adminUrl: `http://127.0.0.1:${address.port}`,
    stop,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll until `check` is true (bounded). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
