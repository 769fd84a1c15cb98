/**
 * `dnd`: Do-Not-Disturb at the edge. Rules, overrides, calendars and exceptions are managed
 * through the admin API (/api/v1/dnd) and kept in the database; this section holds the defaults.
 */
import { z } from 'zod';
import { isValidTimeZone } from '../../dnd/zoned-time.js';
import { duration } from '../duration.js';

const regex = z.string().refine(
  (pattern) => {
    try {
      new RegExp(pattern);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

export const dndSection = z.strictObject({
  enabled: z.boolean().default(true),
  /** IANA zone for rules that name none (and extensions without their own). */
  default_timezone: z.string().refine(isValidTimeZone, { message: 'not an IANA time zone (e.g. Europe/Berlin)' }).default('UTC'),
  /** 486 Busy Here (most PBXes), 480 Temporarily Unavailable or 603 Decline (never used for queue calls). */
  default_status: z.union([z.literal(486), z.literal(480), z.literal(603)]).default(486),
  /** Send Retry-After with the seconds until DND ends, when known. */
  retry_after: z.boolean().default(true),
  /** Which Request-URIs are extensions: the user part matches one pattern, and the host one domain (any host when empty). */
  extensions: z
    .strictObject({
      patterns: z.array(regex).default(['^\\d{2,8}$']),
      domains: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  calendar_poll_interval: duration().default(60_000),
  calendar_timeout: duration().default(10_000),
  /** Expired overrides are removed (and the schedule applies again) this often. */
  override_sweep_interval: duration().default(30_000),
});

export type DndConfig = z.output<typeof dndSection>;
