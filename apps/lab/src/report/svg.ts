/**
 * Inline SVG charts for the HTML report, generated here (no charting library, nothing fetched
 * when the report is opened). Every chart is `<svg class="chart" data-kind=…>`; every data mark
 * (bar, line, point) carries `class="mark"` and a `<title>` tooltip, so a test can tell a chart
 * with data from an empty frame.
 */
import { formatValue } from '@hlp/gate';

export const PALETTE = ['#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6', '#dd4477', '#66aa00', '#b82e2e', '#316395', '#994499', '#22aa99'];

export function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

const f = (v: number): string => (Math.round(v * 100) / 100).toString();

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0];
  if (hi === lo) {
    const pad = hi === 0 ? 1 : Math.abs(hi) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  // from the tick at or below lo to the first tick at or above hi
  for (let v = Math.floor(lo / step) * step; ticks.length < 100; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
    if (v >= hi - step * 1e-9) break;
  }
  return ticks;
}

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

const FRAME: Frame = { width: 640, height: 260, left: 78, right: 16, top: 16, bottom: 46 };

function open(kind: string, title: string, frame: Frame, extraHeight = 0): string {
  const h = frame.height + extraHeight;
  return `<svg class="chart" data-kind="${kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${frame.width} ${h}" width="${frame.width}" height="${h}" role="img" aria-label="${esc(title)}">`;
}

function yAxis(frame: Frame, ticks: readonly number[], y: (v: number) => number, unit: string, label?: string): string {
  const parts: string[] = [];
  for (const t of ticks) {
    const py = y(t);
    if (py < frame.top - 0.5 || py > frame.height - frame.bottom + 0.5) continue;
    parts.push(`<line class="grid" x1="${frame.left}" x2="${frame.width - frame.right}" y1="${f(py)}" y2="${f(py)}"/>`);
    parts.push(`<text class="tick" x="${frame.left - 6}" y="${f(py + 4)}" text-anchor="end">${esc(formatValue(t, unit))}</text>`);
  }
  if (label)
    parts.push(
      `<text class="axis-label" transform="translate(12 ${f((frame.top + frame.height - frame.bottom) / 2)}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`,
    );
  return parts.join('');
}

function xAxisLine(frame: Frame): string {
  const y0 = frame.height - frame.bottom;
  return `<line class="axis" x1="${frame.left}" x2="${frame.width - frame.right}" y1="${y0}" y2="${y0}"/><line class="axis" x1="${frame.left}" x2="${frame.left}" y1="${frame.top}" y2="${y0}"/>`;
}

function legend(frame: Frame, names: readonly string[], y: number): string {
  let x = frame.left;
  let row = 0;
  const parts: string[] = [];
  for (const [i, name] of names.entries()) {
    const w = 18 + Math.min(40, name.length) * 6.2 + 14;
    if (x + w > frame.width - frame.right && x > frame.left) {
      x = frame.left;
      row++;
    }
    const ly = y + row * 16;
    parts.push(`<rect class="legend-key" x="${f(x)}" y="${f(ly - 9)}" width="12" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`);
    parts.push(`<text class="legend" x="${f(x + 16)}" y="${f(ly)}">${esc(name.length > 40 ? `${name.slice(0, 39)}…` : name)}</text>`);
    x += w;
  }
  return parts.join('');
}

function legendRows(frame: Frame, names: readonly string[]): number {
  let x = frame.left;
  let rows = names.length > 0 ? 1 : 0;
  for (const name of names) {
    const w = 18 + Math.min(40, name.length) * 6.2 + 14;
    if (x + w > frame.width - frame.right && x > frame.left) {
      x = frame.left;
      rows++;
    }
    x += w;
  }
  return rows;
}

function empty(kind: string, title: string, message: string): string {
  return `${open(kind, title, FRAME)}<text class="empty" x="${FRAME.width / 2}" y="${FRAME.height / 2}" text-anchor="middle">${esc(message)}</text></svg>`;
}

export interface HistogramOptions {
  readonly title: string;
  readonly unit: string;
  readonly bins?: number;
  /** Vertical reference lines (e.g. median, P95, an SLO threshold), in `unit`. */
  readonly markers?: readonly { label: string; value: number; kind?: 'stat' | 'slo' }[];
}

/** Histogram of raw samples (Freedman–Diaconis bins, 8 … 40). */
export function histogram(samples: readonly number[], o: HistogramOptions): string {
  const xs = samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return empty('histogram', o.title, 'no samples');
  const q = (p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1)))]!;
  let lo = xs[0]!;
  let hi = xs[xs.length - 1]!;
  const iqr = q(0.75) - q(0.25);
  let bins = o.bins ?? (iqr > 0 ? Math.ceil((hi - lo) / (2 * iqr * xs.length ** (-1 / 3))) : Math.ceil(Math.sqrt(xs.length)));
  bins = Math.max(8, Math.min(40, bins));
  if (hi === lo) {
    lo -= Math.abs(lo) * 0.05 || 0.5;
    hi += Math.abs(hi) * 0.05 || 0.5;
  }
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of xs) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  const fr = FRAME;
  const plotW = fr.width - fr.left - fr.right;
  const plotH = fr.height - fr.top - fr.bottom;
  const maxCount = Math.max(...counts);
  const yTicks = niceTicks(0, maxCount, 4).filter((t) => Number.isInteger(t));
  const yMax = Math.max(maxCount, yTicks[yTicks.length - 1] ?? maxCount);
  const x = (v: number): number => fr.left + ((v - lo) / (hi - lo)) * plotW;
  const y = (c: number): number => fr.top + plotH - (c / yMax) * plotH;
  const parts: string[] = [open('histogram', o.title, fr)];
  parts.push(yAxis(fr, yTicks, y, '', 'samples'));
  counts.forEach((c, i) => {
    if (c === 0) return;
    const a = lo + i * width;
    parts.push(
      `<rect class="mark bar" x="${f(x(a) + 0.5)}" y="${f(y(c))}" width="${f(Math.max(1, x(a + width) - x(a) - 1))}" height="${f(y(0) - y(c))}" fill="${PALETTE[0]}">` +
        `<title>${esc(`${formatValue(a, o.unit)} – ${formatValue(a + width, o.unit)}: ${c} sample${c === 1 ? '' : 's'}`)}</title></rect>`,
    );
  });
  for (const t of niceTicks(lo, hi, 5)) {
    if (t < lo || t > hi) continue;
    parts.push(`<text class="tick" x="${f(x(t))}" y="${fr.height - fr.bottom + 16}" text-anchor="middle">${esc(formatValue(t, o.unit))}</text>`);
  }
  for (const m of o.markers ?? []) {
    if (!(m.value >= lo && m.value <= hi)) continue;
    const px = x(m.value);
    parts.push(
      `<line class="marker ${m.kind ?? 'stat'}" x1="${f(px)}" x2="${f(px)}" y1="${fr.top}" y2="${fr.height - fr.bottom}"><title>${esc(`${m.label} ${formatValue(m.value, o.unit)}`)}</title></line>`,
    );
    parts.push(`<text class="marker-label" x="${f(px + 3)}" y="${fr.top + 10}">${esc(m.label)}</text>`);
  }
  parts.push(xAxisLine(fr));
  parts.push(
    `<text class="axis-label" x="${f(fr.left + plotW / 2)}" y="${fr.height - 8}" text-anchor="middle">${esc(`${o.title} (${xs.length} samples)`)}</text>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

export interface LineSeries {
  readonly name: string;
  /** x in `xUnit`, y in `yUnit`. */
  readonly points: readonly { x: number; y: number }[];
}

export interface LineOptions {
  readonly title: string;
  readonly xUnit: string;
  readonly yUnit: string;
  readonly xLabel?: string;
  /** x values are epoch milliseconds: ticks as dates. */
  readonly xDates?: boolean;
  /** A horizontal reference (an SLO threshold), in `yUnit`. */
  readonly threshold?: { label: string; value: number };
  readonly zeroBased?: boolean;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** About `count` round date ticks (whole hours or UTC days) covering [lo, hi]. */
export function dateTicks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  const step = [HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY].find((s) => s >= raw) ?? 28 * DAY;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi && out.length < 50; t += step) out.push(t);
  return out;
}

function dateTick(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % DAY === 0 ? iso.slice(0, 10) : iso.slice(5, 16).replace('T', ' ');
}

/** Lines over x (time in a run, or dates across runs); single points are drawn as dots. */
export function lineChart(series: readonly LineSeries[], o: LineOptions): string {
  const used = series.filter((s) => s.points.some((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  if (used.length === 0) return empty('line', o.title, 'no data points');
  const all = used.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  let xlo = Math.min(...all.map((p) => p.x));
  let xhi = Math.max(...all.map((p) => p.x));
  if (xhi === xlo) {
    xlo -= 1;
    xhi += 1;
  }
  const ys = all.map((p) => p.y);
  if (o.threshold) ys.push(o.threshold.value);
  let ylo = o.zeroBased === false ? Math.min(...ys) : Math.min(0, ...ys);
  let yhi = Math.max(...ys);
  const yTicks = niceTicks(ylo, yhi, 5);
  ylo = Math.min(ylo, yTicks[0]!);
  yhi = Math.max(yhi, yTicks[yTicks.length - 1]!);
  if (yhi === ylo) yhi = ylo + 1;
  const names = used.map((s) => s.name);
  const rows = legendRows(FRAME, names);
  const fr = FRAME;
  const plotW = fr.width - fr.left - fr.right;
  const plotH = fr.height - fr.top - fr.bottom;
  const x = (v: number): number => fr.left + ((v - xlo) / (xhi - xlo)) * plotW;
  const y = (v: number): number => fr.top + plotH - ((v - ylo) / (yhi - ylo)) * plotH;
  const parts: string[] = [open('line', o.title, fr, rows * 16 + 4)];
  parts.push(yAxis(fr, yTicks, y, o.yUnit));
  const xTicks = o.xDates ? dateTicks(xlo, xhi, 4) : niceTicks(xlo, xhi, 6);
  for (const t of xTicks) {
    if (t < xlo || t > xhi) continue;
    parts.push(
      `<text class="tick" x="${f(x(t))}" y="${fr.height - fr.bottom + 16}" text-anchor="middle">${esc(o.xDates ? dateTick(t) : formatValue(t, o.xUnit))}</text>`,
    );
  }
  if (o.threshold) {
    const py = y(o.threshold.value);
    parts.push(
      `<line class="threshold" x1="${fr.left}" x2="${fr.width - fr.right}" y1="${f(py)}" y2="${f(py)}"><title>${esc(`${o.threshold.label}: ${formatValue(o.threshold.value, o.yUnit)}`)}</title></line>`,
    );
    parts.push(`<text class="marker-label" x="${fr.width - fr.right - 4}" y="${f(py - 4)}" text-anchor="end">${esc(o.threshold.label)}</text>`);
  }
  used.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (pts.length > 1) {
      const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${f(x(p.x))},${f(y(p.y))}`).join(' ');
      parts.push(`<path class="mark line" d="${d}" fill="none" stroke="${color}" stroke-width="1.6"><title>${esc(s.name)}</title></path>`);
    }
    if (pts.length <= 40) {
      for (const p of pts) {
        parts.push(
          `<circle class="mark point" cx="${f(x(p.x))}" cy="${f(y(p.y))}" r="3" fill="${color}"><title>${esc(`${s.name}: ${formatValue(p.y, o.yUnit)} at ${o.xDates ? new Date(p.x).toISOString() : formatValue(p.x, o.xUnit)}`)}</title></circle>`,
        );
      }
    }
  });
  parts.push(xAxisLine(fr));
  if (o.xLabel) parts.push(`<text class="axis-label" x="${f(fr.left + plotW / 2)}" y="${fr.height - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(legend(fr, names, fr.height + 10));
  parts.push('</svg>');
  return parts.join('');
}

export interface BarGroup {
  /** Category on the x axis (e.g. `n=8192 50-bit`). */
  readonly category: string;
  readonly bars: readonly { series: string; value: number; detail?: string }[];
}

export interface BarOptions {
  readonly title: string;
  readonly unit: string;
  readonly threshold?: { label: string; value: number };
}

/** Grouped vertical bars: one group per category, one bar per series (variant, backend, stage…). */
export function barChart(groups: readonly BarGroup[], o: BarOptions): string {
  const used = groups.filter((g) => g.bars.some((b) => Number.isFinite(b.value)));
  if (used.length === 0) return empty('bars', o.title, 'no values');
  const seriesNames = [...new Set(used.flatMap((g) => g.bars.map((b) => b.series)))];
  const values = used.flatMap((g) => g.bars.map((b) => b.value)).filter(Number.isFinite);
  if (o.threshold) values.push(o.threshold.value);
  const yTicks = niceTicks(0, Math.max(...values), 5);
  const yMax = Math.max(...values, yTicks[yTicks.length - 1]!) || 1;
  const rows = legendRows(FRAME, seriesNames);
  const fr = FRAME;
  const plotW = fr.width - fr.left - fr.right;
  const plotH = fr.height - fr.top - fr.bottom;
  const y = (v: number): number => fr.top + plotH - (v / yMax) * plotH;
  const groupW = plotW / used.length;
  const barW = Math.max(2, Math.min(48, (groupW * 0.8) / seriesNames.length));
  const parts: string[] = [open('bars', o.title, fr, rows * 16 + 4)];
  parts.push(yAxis(fr, yTicks, y, o.unit));
  used.forEach((g, gi) => {
    const gx = fr.left + gi * groupW + (groupW - barW * seriesNames.length) / 2;
    for (const b of g.bars) {
      if (!Number.isFinite(b.value)) continue;
      const si = seriesNames.indexOf(b.series);
      const bx = gx + si * barW;
      parts.push(
        `<rect class="mark bar" x="${f(bx)}" y="${f(y(b.value))}" width="${f(barW - 1)}" height="${f(Math.max(0.5, y(0) - y(b.value)))}" fill="${PALETTE[si % PALETTE.length]}">` +
          `<title>${esc(`${g.category} ${b.series}: ${formatValue(b.value, o.unit)}${b.detail ? ` (${b.detail})` : ''}`)}</title></rect>`,
      );
    }
    parts.push(
      `<text class="tick" x="${f(fr.left + gi * groupW + groupW / 2)}" y="${fr.height - fr.bottom + 16}" text-anchor="middle">${esc(g.category.length > 24 ? `${g.category.slice(0, 23)}…` : g.category)}</text>`,
    );
  });
  if (o.threshold) {
    const py = y(o.threshold.value);
    parts.push(
      `<line class="threshold" x1="${fr.left}" x2="${fr.width - fr.right}" y1="${f(py)}" y2="${f(py)}"><title>${esc(`${o.threshold.label}: ${formatValue(o.threshold.value, o.unit)}`)}</title></line>`,
    );
  }
  parts.push(xAxisLine(fr));
  parts.push(legend(fr, seriesNames, fr.height + 10));
  parts.push('</svg>');
  return parts.join('');
}

export interface DeltaBar {
  readonly label: string;
  /** current / baseline. */
  readonly ratio: number;
  readonly ci: readonly [number, number] | null;
  readonly verdict: string;
}

const VERDICT_COLORS: Record<string, string> = { regression: '#c0392b', improvement: '#1e8449', unchanged: '#7f8c9a', inconclusive: '#d68910' };

/**
 * Change against the baseline per metric, as horizontal bars from 0 % to (ratio − 1), with the
 * confidence interval as a whisker and the gate's band edges as dashed lines.
 */
export function deltaChart(rows: readonly DeltaBar[], o: { title: string; band: readonly [number, number] }): string {
  const used = rows.filter((r) => Number.isFinite(r.ratio));
  if (used.length === 0) return empty('delta', o.title, 'no comparisons');
  const rowH = 18;
  const left = 270;
  const fr: Frame = { width: 640, height: FRAME.top + used.length * rowH + 40, left, right: 20, top: FRAME.top, bottom: 40 };
  const pct = (r: number): number => (r - 1) * 100;
  const values = used.flatMap((r) => [pct(r.ratio), ...(r.ci ? [pct(r.ci[0]), pct(r.ci[1])] : [])]).concat([pct(o.band[0]), pct(o.band[1]), 0]);
  const ticks = niceTicks(Math.min(...values), Math.max(...values), 6);
  const lo = Math.min(ticks[0]!, ...values);
  const hi = Math.max(ticks[ticks.length - 1]!, ...values);
  const plotW = fr.width - fr.left - fr.right;
  const x = (v: number): number => fr.left + ((v - lo) / (hi - lo || 1)) * plotW;
  const y0 = fr.height - fr.bottom;
  const parts: string[] = [open('delta', o.title, fr)];
  for (const t of ticks) {
    parts.push(`<line class="grid" x1="${f(x(t))}" x2="${f(x(t))}" y1="${fr.top}" y2="${y0}"/>`);
    parts.push(`<text class="tick" x="${f(x(t))}" y="${y0 + 14}" text-anchor="middle">${t > 0 ? '+' : ''}${esc(String(Number(t.toPrecision(6))))} %</text>`);
  }
  for (const [edge, label] of [
    [o.band[0], 'band'],
    [o.band[1], 'band'],
  ] as const) {
    parts.push(
      `<line class="threshold" x1="${f(x(pct(edge)))}" x2="${f(x(pct(edge)))}" y1="${fr.top}" y2="${y0}"><title>${esc(`${label} edge ×${edge}`)}</title></line>`,
    );
  }
  parts.push(`<line class="axis" x1="${f(x(0))}" x2="${f(x(0))}" y1="${fr.top}" y2="${y0}"/>`);
  used.forEach((r, i) => {
    const cy = fr.top + i * rowH + rowH / 2;
    const color = VERDICT_COLORS[r.verdict] ?? PALETTE[0]!;
    const a = x(Math.min(0, pct(r.ratio)));
    const b = x(Math.max(0, pct(r.ratio)));
    parts.push(
      `<text class="tick row-label" x="${fr.left - 6}" y="${f(cy + 4)}" text-anchor="end">${esc(r.label.length > 42 ? `${r.label.slice(0, 41)}…` : r.label)}</text>`,
    );
    parts.push(
      `<rect class="mark bar" x="${f(a)}" y="${f(cy - 6)}" width="${f(Math.max(1.5, b - a))}" height="12" fill="${color}">` +
        `<title>${esc(`${r.label}: ×${r.ratio.toFixed(3)}${r.ci ? ` [${r.ci[0].toFixed(3)}, ${r.ci[1].toFixed(3)}]` : ''} ${r.verdict}`)}</title></rect>`,
    );
    if (r.ci)
      parts.push(`<line class="whisker" x1="${f(x(pct(r.ci[0])))}" x2="${f(x(pct(r.ci[1])))}" y1="${f(cy)}" y2="${f(cy)}" stroke="#222" stroke-width="1"/>`);
  });
  parts.push(
    `<text class="axis-label" x="${f(fr.left + plotW / 2)}" y="${fr.height - 8}" text-anchor="middle">change of the median against the baseline (bar), 95 % interval (whisker)</text>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

/** The report's chart CSS (inline). */
export const CHART_CSS = `
svg.chart { display: block; max-width: 100%; height: auto; background: #fff; border: 1px solid #e3e6ea; border-radius: 6px; }
svg.chart .grid { stroke: #eef0f3; stroke-width: 1; }
svg.chart .axis { stroke: #9aa3ad; stroke-width: 1; }
svg.chart .tick, svg.chart .legend { font: 11px system-ui, sans-serif; fill: #4a5561; }
svg.chart .row-label { font-size: 10px; }
svg.chart .axis-label { font: 11px system-ui, sans-serif; fill: #6b7580; }
svg.chart .empty { font: 13px system-ui, sans-serif; fill: #9aa3ad; }
svg.chart .marker { stroke: #333; stroke-dasharray: 4 3; stroke-width: 1; }
svg.chart .marker.slo, svg.chart .threshold { stroke: #c0392b; stroke-dasharray: 6 4; stroke-width: 1.4; }
svg.chart .marker-label { font: 10px system-ui, sans-serif; fill: #333; }
svg.chart .mark:hover { opacity: 0.75; }
`;
