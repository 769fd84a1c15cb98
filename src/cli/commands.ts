/**
 * `sipwarden status|block|unblock|check|events|summary`: talk to a running daemon's admin API.
 *
 * Human tables by default, the API's JSON as it came with --json. Failures: a message on stderr
 * ("sipwarden: ...") and an exit code: 1 refused by the API, 2 bad usage, 3 daemon unreachable,
 * 4 token refused.
 */
import type { Command } from 'commander';
import { parseDuration } from '../config/duration.js';
import { AdminClient, CliError, EXIT, type Answer } from './client.js';
import { detailsLine, humanDuration, isoTime, jsonText, keyValues, styleFor, table, until, type Style } from './format.js';
import { DEFAULT_CONFIG, DEFAULT_TOKEN_FILE, resolveToken, resolveUrl, type TargetOptions } from './target.js';

interface CommonFlags {
  readonly config: string;
  readonly url?: string;
  readonly tokenFile?: string;
  readonly json?: boolean;
}

/** The largest values the API takes. */
const MAX_LIMIT = 500;
const MAX_HOURS = 24 * 90;

function addCommon(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file with the admin listener (admin.host, admin.port)', DEFAULT_CONFIG)
    .option('--url <url>', 'admin API base URL, e.g. http://127.0.0.1:8080 (env SIPWARDEN_URL)')
    .option('--token-file <file>', `file holding the admin API bearer token (env SIPWARDEN_TOKEN; default ${DEFAULT_TOKEN_FILE})`)
    .option('--json', 'print the API answer as JSON, as it came')
    .exitOverride((err) => {
      // Commander's own usage errors (unknown option, missing argument): exit 2; help: 0.
      process.exit(err.exitCode === 0 ? 0 : EXIT.usage);
    })
    .configureOutput({ outputError: (text, write) => write(`sipwarden: ${text.replace(/^error: /, '')}`) });
}

/** The common flags of `command`; a --config given before the subcommand counts too. */
function targetOf(command: Command): TargetOptions & { json: boolean } {
  const flags = command.opts<CommonFlags>();
  const parent = command.parent;
  const parentConfig = parent?.getOptionValueSource('config') === 'cli' ? parent.opts<{ config?: string }>().config : undefined;
  const ownExplicit = command.getOptionValueSource('config') === 'cli';
  const config = ownExplicit ? flags.config : (parentConfig ?? flags.config);
  return {
    config,
    configExplicit: ownExplicit || parentConfig !== undefined,
    ...(flags.url === undefined ? {} : { url: flags.url }),
    ...(flags.tokenFile === undefined ? {} : { tokenFile: flags.tokenFile }),
    json: flags.json === true,
  };
}

function clientFor(target: TargetOptions): AdminClient {
  // The token first: without one there is nothing to ask.
  const token = resolveToken(target);
  return new AdminClient({ baseUrl: resolveUrl(target), token });
}

/** Print the raw JSON with --json, else the human text. */
function print<T>(json: boolean, answer: Answer<T>, human: (data: T) => string): void {
  process.stdout.write(json ? jsonText(answer.json) : human(answer.data));
}

/** A command body whose failures become a message on stderr and an exit code. */
function action<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (err) {
      const code = err instanceof CliError ? err.exitCode : EXIT.refused;
      process.stderr.write(`sipwarden: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = code;
    }
  };
}

function usage(message: string): CliError {
  return new CliError(message, EXIT.usage);
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw usage(`${flag} ${text}: a whole number from ${min} to ${max}`);
  return n;
}

function durationMs(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) throw usage(`${flag} ${text}: not a duration (write a number with a unit: 90s, 30m, 2h, 7d, 1w)`);
  return ms;
}

/** --since: a duration back from now ("1h") or an ISO 8601 time. */
function sinceIso(text: string, now: number): string {
  const ms = parseDuration(text);
  if (ms !== null && ms > 0) return new Date(now - ms).toISOString();
  if (/^\d{4}-\d{2}-\d{2}T/.test(text) && Number.isFinite(Date.parse(text))) return new Date(Date.parse(text)).toISOString();
  throw usage(`--since ${text}: a duration back from now (30m, 1h, 7d) or an ISO 8601 time (2026-01-31T12:00:00Z)`);
}

function yesNo(style: Style, value: boolean, yes: string, no: string, bad: 'yes' | 'no'): string {
  const text = value ? yes : no;
  return (value ? bad === 'yes' : bad === 'no') ? style.red(text) : style.green(text);
}

export function registerClientCommands(program: Command): void {
  const style = styleFor(process.stdout);

  const status = addCommon(program.command('status').description('is the daemon up, connected to drachtio, able to write its database'));
  status.action(
    action(async () => {
      const target = targetOf(status);
      const answer = await clientFor(target).status();
      print(target.json, answer, (s) =>
        keyValues([
          ['version', s.version],
          ['started', `${isoTime(s.startedAt)} (up ${humanDuration(s.uptimeSeconds * 1000)})`],
          ['drachtio', yesNo(style, s.drachtioConnected, 'connected', 'NOT connected', 'no')],
          ['database', yesNo(style, s.databaseWritable, 'writable', 'NOT writable', 'no')],
          ['active blocks', String(s.activeBlocks)],
        ]),
      );
    }),
  );

  const block = addCommon(
    program
      .command('block')
      .description('block an IP address or CIDR range (on disk before the answer)')
      .argument('<target>', 'IP address or CIDR range, e.g. 192.0.2.7 or 198.51.100.0/24')
      .option('--for <duration>', 'how long: 90s, 30m, 2h, 7d, 1w (default: admin_api.default_block_duration)')
      .option('--permanent', 'never expires')
      .option('--reason <text>', 'why: shown in the block list, events and logs'),
  );
  block.action(
    action(async (targetArg: string) => {
      const target = targetOf(block);
      const flags = block.opts<{ for?: string; permanent?: boolean; reason?: string }>();
      if (flags.for !== undefined && flags.permanent === true) throw usage('give either --for or --permanent, not both');
      let seconds: number | undefined;
      if (flags.for !== undefined) {
        const ms = durationMs('--for', flags.for);
        if (ms < 1000) throw usage(`--for ${flags.for}: at least 1s`);
        seconds = Math.round(ms / 1000);
      }
      if (flags.reason !== undefined && flags.reason.trim() === '') throw usage('--reason: give some text, or leave it out');
      const answer = await clientFor(target).block({
        target: targetArg,
        ...(flags.reason === undefined ? {} : { reason: flags.reason }),
        ...(seconds === undefined ? {} : { duration: seconds }),
        ...(flags.permanent === true ? { permanent: true } : {}),
      });
      print(target.json, answer, (b) => `blocked ${b.target} ${b.permanent ? 'permanently' : `until ${until(b.expiresAt, Date.now())}`}: ${b.reason}\n`);
    }),
  );

  const unblock = addCommon(
    program.command('unblock').description('lift the active block of an IP address or CIDR range').argument('<target>', 'the blocked address or range, as listed'),
  );
  unblock.action(
    action(async (targetArg: string) => {
      const target = targetOf(unblock);
      const answer = await clientFor(target).unblock(targetArg);
      print(target.json, answer, (u) => `unblocked ${u.target}\n`);
    }),
  );

  const check = addCommon(
    program.command('check').description('is this address blocked (why, until when) or trusted; threat score; recent events').argument('<ip>', 'IP address'),
  );
  check.action(
    action(async (ip: string) => {
      const target = targetOf(check);
      const answer = await clientFor(target).check(ip);
      print(target.json, answer, (c) => {
        const now = Date.now();
        const b = c.block;
        const head = keyValues([
          ['address', c.ip],
          ['blocked', b === undefined ? style.green('no') : style.red(`yes${b.target === c.ip ? '' : ` (${b.target})`}, ${b.source}: ${b.reason}`)],
          ...(b === undefined ? [] : ([['since', isoTime(b.createdAt)], ['until', until(b.expiresAt, now)]] as const)),
          ['trusted', c.trusted ? 'yes' : 'no'],
          ['threat score', String(c.threatScore)],
        ]);
        const events = table(
          ['time', 'type', 'severity', 'username', 'method', 'details'],
          c.recentEvents.map((e) => [isoTime(e.at), e.type, e.severity, e.username ?? '', e.method ?? '', detailsLine(e.details)]),
          style,
        );
        return `${head}\nrecent events:\n${events}`;
      });
    }),
  );

  const events = addCommon(
    program
      .command('events')
      .description('security events, newest first')
      .option('--since <when>', 'how far back (30m, 1h, 7d) or an ISO 8601 time', '1h')
      .option('--type <type>', 'only this type, or several comma-separated (block, scanner, flood, auth-failure, ...)')
      .option('--ip <ip>', 'only events of this source address')
      .option('--username <name>', 'only events for this username')
      .option('--limit <n>', `at most this many (1-${MAX_LIMIT})`, '50'),
  );
  events.action(
    action(async () => {
      const target = targetOf(events);
      const flags = events.opts<{ since: string; type?: string; ip?: string; username?: string; limit: string }>();
      const limit = wholeNumber('--limit', flags.limit, 1, MAX_LIMIT);
      const answer = await clientFor(target).events({
        since: sinceIso(flags.since, Date.now()),
        limit,
        ...(flags.type === undefined ? {} : { type: flags.type }),
        ...(flags.ip === undefined ? {} : { ip: flags.ip }),
        ...(flags.username === undefined ? {} : { username: flags.username }),
      });
      print(target.json, answer, (page) => {
        const rows = page.items.map((e) => [isoTime(e.at), e.type, e.severity, e.ip ?? '', e.username ?? '', e.method ?? '', detailsLine(e.details)]);
        const more = page.total > page.items.length ? `(${page.items.length} of ${page.total}; raise --limit or narrow the filters)\n` : '';
        return table(['time', 'type', 'severity', 'ip', 'username', 'method', 'details'], rows, style) + more;
      });
    }),
  );

  const summary = addCommon(
    program
      .command('summary')
      .description('counts and top offenders over the last hours')
      .option('--hours <n>', `period in hours back from now (1-${MAX_HOURS})`, '24'),
  );
  summary.action(
    action(async () => {
      const target = targetOf(summary);
      const hours = wholeNumber('--hours', summary.opts<{ hours: string }>().hours, 1, MAX_HOURS);
      const answer = await clientFor(target).summary({ hours });
      print(target.json, answer, (s) => {
        const bySource = Object.entries(s.blockedIps.activeBySource)
          .map(([source, n]) => `${source} ${n}`)
          .join(', ');
        const head = keyValues([
          ['period', `${isoTime(s.since)} .. ${isoTime(s.until)} (${s.hours}h)`],
          ['active blocks', `${s.blockedIps.active}${bySource === '' ? '' : ` (${bySource})`}`],
          ['new blocks', String(s.blockedIps.newInPeriod)],
          ['failed SIP auths', String(s.failedAuths)],
          ['scanner hits', String(s.scannerHits)],
          ['floods', String(s.floods)],
          ['admin login failures', String(s.adminAuthFailures)],
        ]);
        const byType = table(
          ['type', 'events'],
          Object.entries(s.eventsByType).map(([type, n]) => [type, String(n)]),
          style,
        );
        const ips = table(['ip', 'events'], s.topIps.map((t) => [t.ip, String(t.count)]), style);
        const users = table(['username', 'failures'], s.topUsernames.map((t) => [t.username, String(t.count)]), style);
        return `${head}\nevents by type:\n${byType}\ntop addresses:\n${ips}\ntop usernames:\n${users}`;
      });
    }),
  );
}
