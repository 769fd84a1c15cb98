#!/usr/bin/env node
/**
 * sipwarden command line: run the daemon, or check a config file.
 */
import { Command } from 'commander';
import { hashTokenOutput, readAll } from './admin/token-cli.js';
import { registerAdminCommands } from './cli/admin-commands.js';
import { registerClientCommands } from './cli/commands.js';
import { ConfigError, loadConfig } from './config/index.js';

const DEFAULT_CONFIG = '/etc/sipwarden/config.yml';

async function run(configPath: string): Promise<void> {
  const config = loadConfig(configPath);
  // Loaded only to run the daemon: client commands start in a fraction of the time.
  const { App } = await import('./app.js');
  const app = new App(config);
  const { logger } = app;

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new requests, waiting for in-flight transactions');
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGHUP', () => {
    try {
      app.reload(loadConfig(configPath));
    } catch (err) {
      logger.error({ problem: err instanceof Error ? err.message : String(err), config: configPath }, 'config reload refused; the running config stays');
    }
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; stopping');
    stop('uncaughtException');
  });

  await app.start();
  logger.info({ config: configPath, pbx: `${config.pbx.host}:${config.pbx.port}`, drachtio: config.drachtio.mode }, 'sipwarden started');
}

function fail(err: unknown): never {
  const message = err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err);
  process.stderr.write(`sipwarden: ${message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}

const program = new Command()
  .name('sipwarden')
  // `sipwarden status --config F`: options after a subcommand belong to it, not to the daemon.
  .enablePositionalOptions()
  .description('SIP-edge security proxy: stops scanners, brute force and floods in front of a PBX')
  .option('-c, --config <file>', 'configuration file (YAML)', DEFAULT_CONFIG)
  .action(async (opts: { config: string }) => {
    await run(opts.config).catch(fail);
  });

program
  .command('check-config')
  .description('validate a configuration file and exit')
  .argument('<file>', 'configuration file (YAML)')
  .action((file: string) => {
    try {
      loadConfig(file);
      process.stdout.write(`${file}: configuration is valid\n`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('hash-token')
  .description('print the SHA-256 of a bearer token (read from stdin) as an admin_api.tokens entry')
  .option('--generate', 'generate a new random token instead of reading one')
  .option('--name <name>', 'token name for the config entry')
  .option('--role <role>', 'read or admin', 'read')
  .action(async (opts: { generate?: boolean; name?: string; role: string }) => {
    try {
      if (opts.role !== 'read' && opts.role !== 'admin') throw new Error('--role must be read or admin');
      const input = opts.generate === true ? '' : await readAll(process.stdin);
      process.stdout.write(hashTokenOutput({ generate: opts.generate === true, role: opts.role, ...(opts.name === undefined ? {} : { name: opts.name }) }, input));
    } catch (err) {
      fail(err);
    }
  });

registerClientCommands(program);
registerAdminCommands(program);

program.parseAsync(process.argv).catch(fail);
