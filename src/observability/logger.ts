/** Structured logs (pino, JSON lines on stdout; journald keeps them under systemd). Secrets are redacted. */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export function createLogger(options: { level: LevelWithSilent; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      name: 'sipwarden',
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['secret', '*.secret', 'password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'code', '*.code'],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
