/**
 * Renders a preview of the Grafana dashboard (grafana/sipwarden-dashboard.json) as SVG, from
 * /metrics samples of a running daemon: the same series the dashboard's main panels query,
 * computed the same way (rates per second from counter deltas, quantiles from histogram buckets).
 *
 *   node dist/bench/dashboard-preview.js --url http://127.0.0.1:8080 --seconds 60 --out docs/dashboard-preview.svg
 *
 * bench/attack-demo.sh drives a real drachtio-server with sipp and sipvicious while this samples.
 */
import { writeFileSync } from 'node:fs';

type Sample = Map<string, number>;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** "name{a="x",b="y"} 12" lines -> map of series key -> value. */
function parse(text: string): Sample {
  const sample: Sample = new Map();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match?.[1] && match[3]) sample.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return sample;
}

function label(key: string, name: string): string | null {
  return new RegExp(`${name}="([^"]*)"`).exec(key)?.[1] ?? null;
}

/** Sum of a metric grouped by one label (null: all together). */
function sumBy(sample: Sample, metric: string, by: string | null, filter: (key: string) => boolean = () => true): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of sample) {
    if (!(key === metric || key.startsWith(`${metric}{`)) || !filter(key)) continue;
    const group = by === null ? metric : (label(key, by) ?? '');
    out.set(group, (out.get(group) ?? 0) + value);
  }
  return out;
}

function quantile(prev: Sample, next: Sample, q: number): number | null {
  const buckets: Array<[number, number]> = [];
  for (const [key, value] of next) {
    if (!key.startsWith('sipwarden_decision_duration_seconds_bucket')) continue;
    const le = label(key, 'le');
    if (le === null) continue;
    buckets.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), value - (prev.get(key) ?? 0)]);
  }
  buckets.sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of buckets) {
    if (count >= q * total) {
      if (!Number.isFinite(le)) return lowerBound;
      return lowerBound + ((le - lowerBound) * (q * total - lowerCount)) / Math.max(1e-9, count - lowerCount);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

type Series = Map<string, number[]>;

function push(series: Series, values: Map<string, number>, index: number): void {
  for (const [name, value] of values) {
    const list = series.get(name) ?? new Array<number>(index).fill(0);
    list.push(value);
    series.set(name, list);
  }
  for (const list of series.values()) while (list.length < index + 1) list.push(0);
}

const COLORS = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#fade2a'];

function panel(x: number, y: number, w: number, h: number, title: string, series: Series, unit: string): string {
  const parts = [`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="4" fill="#181b1f" stroke="#2c3235"/>`, `<text x="${x + 10}" y="${y + 20}" fill="#ccccdc" font-size="13" font-weight="600">${title}</text>`];
  const plot = { x: x + 46, y: y + 32, w: w - 200, h: h - 50 };
  const all = [...series.values()].flat();
  const max = Math.max(1e-9, ...all);
  for (let i = 0; i <= 4; i++) {
    const gy = plot.y + plot.h - (plot.h * i) / 4;
    parts.push(`<line x1="${plot.x}" y1="${gy}" x2="${plot.x + plot.w}" y2="${gy}" stroke="#2c3235"/>`);
    parts.push(`<text x="${plot.x - 6}" y="${gy + 4}" fill="#8e8e8e" font-size="10" text-anchor="end">${format((max * i) / 4, unit)}</text>`);
  }
  let c = 0;
  for (const [name, values] of series) {
    const color = COLORS[c % COLORS.length];
    const step = plot.w / Math.max(1, values.length - 1);
    const points = values.map((v, i) => `${(plot.x + i * step).toFixed(1)},${(plot.y + plot.h - (plot.h * v) / max).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.6" points="${points}"/>`);
    const peak = Math.max(...values);
    parts.push(`<rect x="${x + w - 145}" y="${y + 34 + c * 16}" width="10" height="3" fill="${color}"/>`);
    parts.push(`<text x="${x + w - 130}" y="${y + 39 + c * 16}" fill="#ccccdc" font-size="10">${escape(name)} (max ${format(peak, unit)})</text>`);
    c++;
  }
  return parts.join('\n');
}

function tablePanel(x: number, y: number, w: number, h: number, title: string, rows: Array<[string, string]>): string {
  const parts = [`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="4" fill="#181b1f" stroke="#2c3235"/>`, `<text x="${x + 10}" y="${y + 20}" fill="#ccccdc" font-size="13" font-weight="600">${title}</text>`];
  rows.slice(0, 10).forEach(([a, b], i) => {
    parts.push(`<text x="${x + 14}" y="${y + 44 + i * 16}" fill="#ccccdc" font-size="11" font-family="monospace">${escape(a)}</text>`);
    parts.push(`<text x="${x + w - 14}" y="${y + 44 + i * 16}" fill="#ccccdc" font-size="11" text-anchor="end">${escape(b)}</text>`);
  });
  if (rows.length === 0) parts.push(`<text x="${x + 14}" y="${y + 44}" fill="#8e8e8e" font-size="11">no data</text>`);
  return parts.join('\n');
}

function format(value: number, unit: string): string {
  if (unit === 's') return value >= 1e-3 ? `${(value * 1e3).toFixed(2)} ms` : `${(value * 1e6).toFixed(0)} µs`;
  if (unit === '/s') return `${value.toFixed(value < 10 ? 1 : 0)}/s`;
  return value.toFixed(0);
}

function escape(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

async function main(): Promise<void> {
  const url = arg('url', 'http://127.0.0.1:8080');
  const seconds = Number(arg('seconds', '60'));
  const intervalMs = Number(arg('interval', '2000'));
  const out = arg('out', 'docs/dashboard-preview.svg');
  const headers: Record<string, string> = process.env['SIPWARDEN_TOKEN'] ? { authorization: `Bearer ${process.env['SIPWARDEN_TOKEN']}` } : {};
  const samples: Sample[] = [];
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    samples.push(parse(await (await fetch(`${url}/metrics`, { headers })).text()));
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const verdicts: Series = new Map();
  const blocks: Series = new Map();
  const failures: Series = new Map();
  const latency: Series = new Map();
  const classes: Series = new Map();
  const perSecond = (prev: Map<string, number>, next: Map<string, number>): Map<string, number> =>
    new Map([...next].map(([k, v]) => [k, Math.max(0, (v - (prev.get(k) ?? 0)) / (intervalMs / 1000))]));
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1] ?? new Map();
    const next = samples[i] ?? new Map();
    push(verdicts, perSecond(sumBy(prev, 'sipwarden_requests_total', 'verdict'), sumBy(next, 'sipwarden_requests_total', 'verdict')), i - 1);
    push(blocks, sumBy(next, 'sipwarden_blocks_active', 'source'), i - 1);
    const af = perSecond(sumBy(prev, 'sipwarden_auth_failures_total', null), sumBy(next, 'sipwarden_auth_failures_total', null));
    push(failures, new Map([['auth failures', af.get('sipwarden_auth_failures_total') ?? 0]]), i - 1);
    push(latency, new Map([['p50', quantile(prev, next, 0.5) ?? 0], ['p99', quantile(prev, next, 0.99) ?? 0]]), i - 1);
    push(classes, perSecond(sumBy(prev, 'sipwarden_proxied_responses_total', 'class'), sumBy(next, 'sipwarden_proxied_responses_total', 'class')), i - 1);
  }
  const last = samples.at(-1) ?? new Map();
  const offenders = [...sumBy(last, 'sipwarden_top_offender_events', 'ip')].sort((a, b) => b[1] - a[1]).map(([ip, n]): [string, string] => [ip, String(n)]);
  const W = 1200;
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="850" font-family="Inter, Helvetica, Arial, sans-serif">`,
    `<rect width="${W}" height="850" fill="#111217"/>`,
    `<text x="16" y="28" fill="#ccccdc" font-size="17" font-weight="600">sipwarden</text>`,
    `<text x="110" y="28" fill="#8e8e8e" font-size="12">preview rendered from ${samples.length} /metrics samples (${seconds} s) of a live daemon under attack - grafana/sipwarden-dashboard.json</text>`,
    panel(10, 44, 585, 250, 'Requests by verdict', verdicts, '/s'),
    panel(605, 44, 585, 250, 'Active blocks by source', blocks, ''),
    panel(10, 304, 585, 250, 'Authentication failures', failures, '/s'),
    panel(605, 304, 585, 250, 'Decision latency', latency, 's'),
    panel(10, 564, 585, 270, 'PBX final responses by class', classes, '/s'),
    tablePanel(605, 564, 585, 270, 'Top offenders (security events, last hour)', offenders),
    '</svg>',
  ].join('\n');
  writeFileSync(out, svg);
  console.log(`wrote ${out} from ${samples.length} samples`);
}

void main();
