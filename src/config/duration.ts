/**
 * Durations and sizes in the config: "500ms", "2s", "5m", "1h", "7d", "1w" (or a bare number of
 * milliseconds). Parsed once at load time into milliseconds.
 */
import { z } from 'zod';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;

/** Milliseconds of "2s"-style text, or null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (match?.[1] === undefined || match[2] === undefined) return null;
  const unit = UNITS[match[2]];
  return unit === undefined ? null : Math.round(Number(match[1]) * unit);
}

/** A positive duration, written "2s" or as milliseconds; the value is milliseconds. */
export function duration(options: { allowZero?: boolean } = {}) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = typeof value === 'number' ? (Number.isFinite(value) ? Math.round(value) : null) : parseDuration(value);
    if (ms !== null && (ms > 0 || (options.allowZero === true && ms === 0))) return ms;
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(value)} is not a duration (write a number with a unit: 500ms, 2s, 5m, 1h, 7d, 1w)`,
    });
    return z.NEVER;
  });
}
