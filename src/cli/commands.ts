/**
 * `sipwarden status|block|unblock|check|events|summary`: talk to a running daemon's admin API.
 * Human tables by default, the API's JSON with --json; non-zero exit with a message on failure.
 */
import type { Command } from 'commander';
import { ConfigError, parseDuration } from '../config/index.js';
import { AdminClient, CliError, EXIT } from './client.js';
import { humanDuration, keyValues, table, until } from './format.js';
import { resolveToken, resolveUrl, type TargetOptions } from './target.js';

interface CommonOptions extends TargetOptions {
  readonly json?: boolean;
}

function withCommon(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file to find the admin listener in', '/etc/sipwarden/config.yml')
    .option('--url <url>', 'admin API base URL (overrides the config file; env SIPWARDEN_URL)')
    .option('--token-file <file>', 'file holding the admin API bearer token (default /etc/sipwarden/admin.token; env SIPWARDEN_TOKEN)')
    .option('--json', 'print the API answer as JSON');
}

function client(options: CommonOptions): AdminClient {
  return new AdminClient({ baseUrl: resolveUrl(options), token: resolveToken(options) });
}

function print(options: CommonOptions, data: unknown, human: () => string): void {
  process.stdout.write(options.json === true ? `${JSON.stringify(data, null, 2)}\n` : human());
}

/** Run a command body, turning failures into a message on stderr and an exit code. */
function run<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (err) {
      const code = err instanceof CliError ? err.exitCode : err instanceof ConfigError ? EXIT.usage : EXIT.refused;
      process.stderr.write(`sipwarden: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = code;
    }
  };
}

export function registerClientCommands(program: Command): void {
  withCommon(program.command('status').description('show whether the daemon is up, connected and healthy')).action(
    run(async (options: CommonOptions) => {
      const status = await client(options).status();
      print(options, status, () =>
        keyValues([
          ['version', status.version],
          ['up since', `${status.startedAt} (${humanDuration(status.uptimeSeconds * 1000)})`],
          ['drachtio', status.drachtioConnected ? 'connected' : 'NOT connected'],
          ['database', status.databaseWritable ? 'writable' : 'NOT writable'],
          ['active blocks', String(status.activeBlocks)],
        ]),
      );
    }),
  );

  withCommon(program.command('block').description('block an IP address or CIDR range').argument('<target>', 'IP address or CIDR range'))
    .option('--for <duration>', 'how long: 90s, 30m, 2h, 7d, 1w (default: the configured default)')
    .option('--permanent', 'never expires')
    .option('--reason <text>', 'why (shown in lists and events)')
    .action(
      run(async (target: string, options: CommonOptions & { for?: string; permanent?: boolean; reason?: string }) => {
        if (options.for !== undefined && parseDuration(options.for) === null) throw new CliError(`--for ${options.for}: not a duration (90s, 30m, 2h, 7d, 1w)`, EXIT.usage);
        const block = await client(options).block({
          target,
          ...(options.reason === undefined ? {} : { reason: options.reason }),
          ...(options.for === undefined ? {} : { duration: options.for }),
          ...(options.permanent === true ? { permanent: true } : {}),
        });
        print(options, block, () => `blocked ${block.target} until ${until(block.expiresAt, Date.now())}: ${block.reason}\n`);
      }),
    );

  withCommon(program.command('unblock').description('lift the block of an IP address or CIDR range').argument('<target>', 'IP address or CIDR range')).action(
    run(async (target: string, options: CommonOptions) => {
      const result = await client(options).unblock(target);
      print(options, result, () => `unblocked ${target}\n`);
    }),
  );

  withCommon(program.command('check').description('is this address blocked, why, until when; threat score and recent events').argument('<ip>', 'IP address')).action(
    run(async (ip: string, options: CommonOptions) => {
      const check = await client(options).check(ip);
      print(options, check, () => {
        const head = keyValues([
          ['address', check.ip],
          ['blocked', check.block ? `yes, ${check.block.source}: ${check.block.reason}` : 'no'],
          ...(check.block ? ([['until', until(check.block.expiresAt, Date.now())]] as const) : []),
          ['trusted', check.trusted ? 'yes' : 'no'],
          ['threat score', String(check.threatScore)],
        ]);
        const events = table(
          ['time', 'type', 'severity', 'username', 'method'],
          check.recentEvents.map((e) => [e.at, e.type, e.severity, e.username ?? '', e.method ?? '']),
        );
        return `${head}\nrecent events:\n${events}`;
      });
    }),
  );

  withCommon(program.command('events').description('security events, newest first'))
    .option('--since <duration>', 'how far back: 30m, 1h, 7d', '1h')
    .option('--type <type>', 'only this type (block, scanner, flood, auth-failure, ...)')
    .option('--ip <ip>', 'only this source address')
    .option('--username <name>', 'only this username')
    .option('--limit <n>', 'at most this many', '50')
    .action(
      run(async (options: CommonOptions & { since: string; type?: string; ip?: string; username?: string; limit: string }) => {
        const back = parseDuration(options.since);
        if (back === null) throw new CliError(`--since ${options.since}: not a duration (30m, 1h, 7d)`, EXIT.usage);
        const page = await client(options).events({
          since: new Date(Date.now() - back).toISOString(),
          type: options.type,
          ip: options.ip,
          username: options.username,
          limit: options.limit,
        });
        print(options, page, () =>
          table(
            ['time', 'type', 'severity', 'ip', 'username', 'method'],
            page.items.map((e) => [e.at, e.type, e.severity, e.ip ?? '', e.username ?? '', e.method ?? '']),
          ) + (page.total > page.items.length ? `(${page.items.length} of ${page.total}; use --limit)\n` : ''),
        );
      }),
    );

  withCommon(program.command('summary').description('threat summary over the last hours'))
    .option('--hours <n>', 'period in hours', '24')
    .action(
      run(async (options: CommonOptions & { hours: string }) => {
        const hours = Number(options.hours);
        if (!Number.isInteger(hours) || hours < 1) throw new CliError(`--hours ${options.hours}: a whole number of hours, 1 or more`, EXIT.usage);
        const s = await client(options).summary(hours);
        print(options, s, () => {
          const head = keyValues([
            ['period', `${s.since} .. ${s.until}`],
            ['active blocks', `${s.blockedIps.active} (${Object.entries(s.blockedIps.activeBySource).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`],
            ['new blocks', String(s.blockedIps.newInPeriod)],
            ['failed auths', String(s.failedAuths)],
            ['scanner hits', String(s.scannerHits)],
            ['floods', String(s.floods)],
            ['admin login failures', String(s.adminAuthFailures)],
          ]);
          return `${head}\ntop addresses:\n${table(['ip', 'events'], s.topIps.map((t) => [t.ip, String(t.count)]))}\ntop usernames:\n${table(['username', 'failures'], s.topUsernames.map((t) => [t.username, String(t.count)]))}`;
        });
      }),
    );
}
