/**
 * Wall-clock <-> instant arithmetic in IANA time zones (luxon's zone database, i.e. Intl/ICU).
 *
 * The one rule every DND boundary follows:
 *
 *   A boundary at local wall time W happens at the FIRST instant at which the
 *   local clock reads W or later.
 *
 * - Normal days: the instant whose local time is W.
 * - Repeated hour (fall back): W happens twice; the first one counts (the earlier offset, e.g.
 *   02:30 CEST, not 02:30 CET). The second pass through W is not a boundary.
 * - Skipped hour (spring forward): W never happens; the boundary is the transition instant, the
 *   moment the clock jumps past W (02:30 in Europe/Berlin on the last Sunday of March -> 03:00 CEST).
 *
 * luxon's own resolution differs (it shifts skipped times forward by the gap: 02:30 -> 03:30, and picks
 * the later offset for repeated times), so the resolution is done here explicitly.
 */
import { IANAZone } from 'luxon';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** A calendar date without a zone. */
export interface CivilDate {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
  /** 1-31 */
  readonly day: number;
}

/** ISO weekday: Monday = 1 ... Sunday = 7. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface LocalDateTime extends CivilDate {
  readonly weekday: IsoWeekday;
  /** Minutes since local midnight, 0-1439. */
  readonly minuteOfDay: number;
}

interface CachedZone {
  readonly zone: IANAZone;
  /** Memo of offset(ts): rule boundaries repeat across extensions and rebuilds. Bounded. */
  readonly offsets: Map<number, number>;
}

const zones = new Map<string, CachedZone>();
const MAX_MEMO = 20_000;

function zone(name: string): CachedZone {
  let z = zones.get(name);
  if (!z) {
    const iana = IANAZone.create(name);
    if (!iana.isValid) throw new RangeError(`unknown IANA time zone "${name}"`);
    zones.set(name, (z = { zone: iana, offsets: new Map() }));
  }
  return z;
}

function offsetOf(z: CachedZone, ts: number): number {
  let o = z.offsets.get(ts);
  if (o === undefined) {
    o = z.zone.offset(ts);
    if (z.offsets.size >= MAX_MEMO) z.offsets.clear();
    z.offsets.set(ts, o);
  }
  return o;
}

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;

/**
 * The canonical spelling of an IANA zone name ("europe/berlin" -> "Europe/Berlin"), or null when the
 * name is not a zone this runtime knows. Offsets like "+01:00" and abbreviations like "CET" that are
 * not IANA names are refused ("CET" happens to be a legacy IANA name and is accepted).
 */
export function canonicalTimeZone(name: unknown): string | null {
  if (typeof name !== 'string' || !ZONE_NAME.test(name)) return null;
  try {
    const canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    return IANAZone.isValidZone(canonical) ? canonical : null;
  } catch {
    return null;
  }
}

export function isValidTimeZone(name: unknown): name is string {
  return canonicalTimeZone(name) !== null;
}

/** UTC offset of `zoneName` at instant `ts`, in minutes (east positive). */
export function offsetMinutes(zoneName: string, ts: number): number {
  return offsetOf(zone(zoneName), ts);
}

export function isoWeekdayOfCivil(date: CivilDate): IsoWeekday {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay(); // 0 = Sunday
  return (d === 0 ? 7 : d) as IsoWeekday;
}

export function addDays(date: CivilDate, days: number): CivilDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function formatCivilDate(date: CivilDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

/** The local date, weekday and time of day of instant `ts` in `zoneName`. */
export function localDateTime(ts: number, zoneName: string): LocalDateTime {
  const d = new Date(ts + offsetMinutes(zoneName, ts) * MINUTE_MS);
  const day = d.getUTCDay();
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: (day === 0 ? 7 : day) as IsoWeekday,
    minuteOfDay: d.getUTCHours() * 60 + d.getUTCMinutes(),
  };
}

/**
 * The instant at which the local clock in `zoneName` first reads `date` + `msOfDay` (see the module
 * comment for skipped and repeated times). `msOfDay` may exceed one day (it is added to the date's
 * wall clock, so 25 h = 01:00 the next day).
 */
export function wallClockToInstant(date: CivilDate, msOfDay: number, zoneName: string): number {
  const z = zone(zoneName);
  const wall = Date.UTC(date.year, date.month - 1, date.day) + msOfDay;
  // Real zones change offset at most once within two days, so the offsets a day either side are the
  // only two candidates.
  const before = offsetOf(z, wall - DAY_MS);
  const after = offsetOf(z, wall + DAY_MS);
  let best: number | null = null;
  for (const o of before === after ? [before] : [before, after]) {
    const ts = wall - o * MINUTE_MS;
    if (offsetOf(z, ts) === o && (best === null || ts < best)) best = ts;
  }
  if (best !== null) return best;
  if (before >= after) return wall - before * MINUTE_MS; // not a gap we understand; should not happen
  // Skipped wall time: find the transition instant, the first instant using the later offset.
  let lo = wall - after * MINUTE_MS; // still on the earlier offset
  let hi = wall - before * MINUTE_MS; // already on the later offset
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (z.zone.offset(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}
