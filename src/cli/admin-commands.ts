/**
 * Commands that work on the database directly, on the daemon's host (they need the config and
 * the MFA key): `sipwarden admin add NAME` (admin user with a password and TOTP enrollment) and
 * `sipwarden mfa rotate-key` (re-encrypt every MFA secret under a new key).
 */
import type { Command } from 'commander';
import QRCode from 'qrcode';
import { loadConfig, type Config } from '../config/index.js';
import { mfaServiceOptions, openVault } from '../features/mfa.js';
import { hashPassword, loadVaultKey, MfaService, SecretVault } from '../mfa/index.js';
import { openDatabase } from '../store/database.js';
import { SqliteMfaRepository } from '../store/mfa.js';
import { readAll } from '../admin/token-cli.js';
import { CliError, EXIT } from './client.js';

function mfaConfig(file: string): Config {
  const config = loadConfig(file);
  if (!config.mfa.enabled) throw new CliError(`${file}: mfa.enabled is false; admin users and MFA need mfa.enabled: true and a key`, EXIT.usage);
  return config;
}

/** Open the database named by the config with the MFA repository and vault; closed after `work`. */
async function withMfaStore<T>(configFile: string, work: (store: { config: Config; repository: SqliteMfaRepository; vault: SecretVault }) => Promise<T> | T): Promise<T> {
  const config = mfaConfig(configFile);
  const db = openDatabase(config.database.path);
  try {
    const repository = new SqliteMfaRepository(db);
    return await work({ config, repository, vault: openVault(config, repository) });
  } finally {
    db.close();
  }
}

function fail(err: unknown): void {
  process.stderr.write(`sipwarden: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err instanceof CliError ? err.exitCode : 1;
}

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('admin users (password + TOTP) for POST /api/v1/auth/login');
  admin
    .command('add')
    .description('create (or reset) an admin user: the password is read from stdin; prints the TOTP enrollment')
    .argument('<name>', 'user name')
    .option('-c, --config <file>', 'config file', '/etc/sipwarden/config.yml')
    .action(async (name: string, options: { config: string }) => {
      try {
        if (!/^[\w.@-]{1,64}$/.test(name)) throw new CliError('the name may use letters, digits, ".", "_", "-", "@" (at most 64)', EXIT.usage);
        const password = (await readAll(process.stdin)).replace(/\r?\n$/, '');
        if (password.length < 12) throw new CliError('the password (read from stdin) must have at least 12 characters', EXIT.usage);
        await withMfaStore(options.config, async ({ config, repository, vault }) => {
          const service = new MfaService({ repository, vault }, { ...mfaServiceOptions(config), issuer: `${config.mfa.issuer} admin` });
          const now = Date.now();
          repository.putAdmin({ name, passwordHash: await hashPassword(password), createdAt: now });
          await service.disable(`admin:${name}`);
          const enrollment = await service.enroll(`admin:${name}`, now);
          const qr = await QRCode.toString(enrollment.otpauthUri, { type: 'terminal', small: true });
          process.stdout.write(
            [
              `admin user ${name} created. Scan this with an authenticator app (or enter the secret by hand);`,
              'the first login with a code from it activates the second factor:',
              '',
              qr,
              `secret:       ${enrollment.secret}`,
              `otpauth URI:  ${enrollment.otpauthUri}`,
              `backup codes (each works once; keep them offline):`,
              ...enrollment.backupCodes.map((c) => `  ${c}`),
              '',
              `log in: POST /api/v1/auth/login {"name":"${name}","password":"...","code":"123456"} (enrollment valid until ${new Date(enrollment.expiresAt).toISOString()})`,
              '',
            ].join('\n'),
          );
        });
      } catch (err) {
        fail(err);
      }
    });

  const mfa = program.command('mfa').description('MFA maintenance');
  mfa
    .command('rotate-key')
    .description('re-encrypt every stored MFA secret under a new key; then point mfa.key_file at it and restart')
    .requiredOption('--new-key-file <file>', 'the new key (64 hex characters): umask 077 && openssl rand -hex 32 > FILE')
    .option('-c, --config <file>', 'config file (names the current key)', '/etc/sipwarden/config.yml')
    .action(async (options: { config: string; newKeyFile: string }) => {
      try {
        await withMfaStore(options.config, ({ repository, vault: current }) => {
          const next = new SecretVault(loadVaultKey({ file: options.newKeyFile }).key);
          const count = repository.resealAll((record) => current.reencrypt(record.secretEnc, `totp:${record.subject}`, next));
          process.stdout.write(`re-encrypted ${count} MFA secret(s) from key ${current.keyId} to key ${next.keyId}; now set mfa.key_file to ${options.newKeyFile} and restart sipwarden\n`);
        });
      } catch (err) {
        fail(err);
      }
    });
}
