/**
 * Runs the built sipwarden binary (dist/src/main.js) as a child process, as systemd would,
 * and reads its JSON log lines. `npm test` builds before testing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export const MAIN = new URL('../../dist/src/main.js', import.meta.url).pathname;

export class DaemonProcess {
  readonly logs: Array<Record<string, unknown>> = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.logs.push({ msg: line });
        }
      });
    }
    child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString('utf8')));
  }

  static spawn(args: string[]): DaemonProcess {
    return new DaemonProcess(spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Start with a config file and wait until the admin listener is up; returns its base URL. */
  static async start(configFile: string): Promise<{ daemon: DaemonProcess; url: string }> {
    const daemon = DaemonProcess.spawn(['--config', configFile]);
    const line = await daemon.waitForLog((l) => l['msg'] === 'admin HTTP listening', 10_000);
    const admin = line['admin'] as { port: number };
    return { daemon, url: `http://127.0.0.1:${admin.port}` };
  }

  async waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(match);
      if (found) return found;
      if (this.child.exitCode !== null) throw new Error(`the daemon exited (${this.child.exitCode}): ${this.stderr.join('')}`);
      if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms; last lines: ${JSON.stringify(this.logs.slice(-5))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** Run the binary to completion (check-config, CLI commands). */
export async function runMain(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdin.end(input ?? '');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}
