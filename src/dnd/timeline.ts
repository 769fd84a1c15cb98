/**
 * A precomputed DND timeline over [from, to): the union of labelled busy windows, split into
 * segments that each carry the winning label, grouped into contiguous "runs".
 *
 * Answers, by binary search: is t inside a window, which label wins there, when did the run start,
 * when does it end (or when does the next one begin). Windows are half-open [start, end): a window
 * ending at 06:00 is over at 06:00 exactly; windows that touch (one ends when the next starts)
 * form one run.
 *
 * Knowledge is limited to [from, to): a run reaching `to` has an unknown end (null), a run
 * starting at or before `from` has an unknown start (null).
 */

export interface TimelineWindow<L> {
  readonly start: number;
  readonly end: number;
  readonly label: L;
}

export interface TimelineSegment<L> {
  readonly start: number;
  readonly end: number;
  /** The best label among the windows covering this segment. */
  readonly label: L;
  readonly runStart: number;
  readonly runEnd: number;
}

export interface TimelinePoint<L> {
  /** The segment containing t, or null when t is in no window. */
  readonly segment: TimelineSegment<L> | null;
  /** Start of the run containing t (segment != null) or end of the last run before t; null when unknown. */
  readonly since: number | null;
  /** End of the run containing t, or start of the next run; null when unknown (beyond `to`). */
  readonly until: number | null;
}

/** Negative when a is the better label. */
export type LabelOrder<L> = (a: L, b: L) => number;

export class Timeline<L> {
  readonly from: number;
  readonly to: number;
  readonly segments: readonly TimelineSegment<L>[];

  private constructor(from: number, to: number, segments: readonly TimelineSegment<L>[]) {
    this.from = from;
    this.to = to;
    this.segments = segments;
  }

  static build<L>(windows: Iterable<TimelineWindow<L>>, from: number, to: number, order: LabelOrder<L>): Timeline<L> {
    interface Edge {
      readonly at: number;
      readonly open: boolean;
      readonly w: TimelineWindow<L>;
    }
    const edges: Edge[] = [];
    for (const w of windows) {
      const start = Math.max(w.start, from);
      const end = Math.min(w.end, to);
      if (!(end > start)) continue;
      const clipped = { start, end, label: w.label };
      edges.push({ at: start, open: true, w: clipped }, { at: end, open: false, w: clipped });
    }
    edges.sort((a, b) => a.at - b.at);

    interface RawSegment {
      start: number;
      end: number;
      label: L;
      window: TimelineWindow<L>;
    }
    const raw: RawSegment[] = [];
    const active = new Set<TimelineWindow<L>>();
    let i = 0;
    while (i < edges.length) {
      const at = edges[i]!.at;
      for (; i < edges.length && edges[i]!.at === at; i++) {
        const e = edges[i]!;
        if (e.open) active.add(e.w);
        else active.delete(e.w);
      }
      if (active.size === 0 || i >= edges.length) continue;
      const next = edges[i]!.at;
      let best: TimelineWindow<L> | null = null;
      for (const w of active) if (best === null || order(w.label, best.label) < 0) best = w;
      const prev = raw[raw.length - 1];
      if (prev && prev.end === at && prev.window === best) prev.end = next;
      else raw.push({ start: at, end: next, label: best!.label, window: best! });
    }

    const segments: TimelineSegment<L>[] = [];
    let runFirst = 0;
    for (let k = 0; k <= raw.length; k++) {
      const broken = k === raw.length || (k > runFirst && raw[k]!.start !== raw[k - 1]!.end);
      if (!broken) continue;
      const runStart = raw[runFirst]?.start ?? 0;
      const runEnd = raw[k - 1]?.end ?? 0;
      for (let j = runFirst; j < k; j++) {
        const r = raw[j]!;
        segments.push({ start: r.start, end: r.end, label: r.label, runStart, runEnd });
      }
      runFirst = k;
    }
    return new Timeline(from, to, segments);
  }

  /** Whether t lies inside the window this timeline knows about. */
  covers(t: number): boolean {
    return t >= this.from && t < this.to;
  }

  at(t: number): TimelinePoint<L> {
    const segs = this.segments;
    // last segment with start <= t
    let lo = 0;
    let hi = segs.length - 1;
    let idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (segs[mid]!.start <= t) {
        idx = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const seg = idx >= 0 ? segs[idx]! : null;
    if (seg && t < seg.end) {
      return {
        segment: seg,
        since: seg.runStart > this.from ? seg.runStart : null,
        until: seg.runEnd < this.to ? seg.runEnd : null,
      };
    }
    const next = segs[idx + 1];
    return {
      segment: null,
      since: seg && seg.runEnd > this.from ? seg.runEnd : null,
      until: next ? next.start : null,
    };
  }
}
