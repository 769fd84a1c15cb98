/**
 * Plain-text output for people: aligned tables and key/value lists, durations like "1h 59m",
 * times in ISO 8601 UTC. Colour only on a terminal (never when piped, never with NO_COLOR).
 */

const ANSI = /\x1b\[[0-9;]*m/g;

/** Width on screen: without colour codes. */
function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

export interface Style {
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
  dim(text: string): string;
}

const plain: Style = { bold: (t) => t, red: (t) => t, green: (t) => t, dim: (t) => t };
const ansi = (open: number, close: number) => (t: string) => (t === '' ? t : `\x1b[${open}m${t}\x1b[${close}m`);
const coloured: Style = { bold: ansi(1, 22), red: ansi(31, 39), green: ansi(32, 39), dim: ansi(2, 22) };

/** Colours for a stream: only a TTY, and not with NO_COLOR or TERM=dumb (FORCE_COLOR forces them). */
export function styleFor(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>> = process.env): Style {
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0') return coloured;
  if (stream.isTTY !== true) return plain;
  if ((env['NO_COLOR'] ?? '') !== '' || env['TERM'] === 'dumb') return plain;
  return coloured;
}

/** Columns padded to the widest cell, two spaces apart; "(none)" without rows. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, style: Style = plain): string {
  if (rows.length === 0) return '(none)\n';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    headers
      .map((_, i) => pad(cells[i] ?? '', widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[style.bold(line(headers)), ...rows.map(line)].join('\n')}\n`;
}

/** "key    value" lines with the values aligned. */
export function keyValues(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n') + '\n';
}

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** The two largest units, rounded down: "1h 59m", "3d 4h", "45s", "0s". */
export function humanDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  const shown = parts.filter((p, i) => i === 0 || !p.startsWith('0'));
  return shown.length > 0 ? shown.join(' ') : '0s';
}

/** An API time as ISO 8601 UTC to the second ("2026-01-31T12:00:00Z"); text that is no time stays as it is. */
export function isoTime(value: string | number): string {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) return String(value);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** When a block ends: "permanent", or the time and how long from now. */
export function until(expiresAt: string | null, now: number): string {
  if (expiresAt === null) return 'permanent';
  const left = Date.parse(expiresAt) - now;
  return `${isoTime(expiresAt)} (${left > 0 ? `in ${humanDuration(left)}` : 'expired'})`;
}

/** Event details on one line: "reason=seen in honeypot actor=ops", cut at `max` characters; epoch-ms "...At" fields as times. */
export function detailsLine(details: Readonly<Record<string, unknown>>, max = 80): string {
  const text = Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : typeof v === 'number' && /At$/.test(k) ? isoTime(v) : JSON.stringify(v)}`)
    .join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The answer as the API sent it, indented. */
export function jsonText(json: unknown): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}
