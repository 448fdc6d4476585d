// Small SVG plotting helpers with no dependencies: pattern grids, line charts (energy traces,
// capacity curves) and bar charts (support-size histograms). Each returns a standalone SVG string.
import { checkInteger, checkOptions, describe, isArrayLikeOfNumbers, optionKeys } from '../validate';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const FONT = 'font-family="sans-serif" font-size="12"';
const TITLE_FONT = 'font-family="sans-serif" font-size="15"';

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(3))));

function svgDocument(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}

/** Options of {@link patternGridSvg}. */
export interface PatternGridOptions {
  /** Pixels per row of each pattern (required unless the pattern is square). */
  width?: number;
  /** Caption per pattern. */
  titles?: string[];
  /** Side of one cell in SVG units (default 10). */
  cell?: number;
  /** Patterns per row of the figure (default all in one row). */
  columns?: number;
}

/**
 * +-1 (or real, shown in grey levels on [-1, 1]) patterns drawn as pixel grids side by side.
 *
 * @example
 * ```ts
 * fs.writeFileSync('letters.svg', patternGridSvg([H, V], { width: 3, titles: ['H', 'V'] }));
 * ```
 */
export function patternGridSvg(patterns: ArrayLike<number>[], options: PatternGridOptions = {}): string {
  if (!Array.isArray(patterns) || patterns.length === 0) throw new TypeError('patterns must be a non-empty array of vectors');
  const opts = checkOptions(options, 'options', optionKeys<PatternGridOptions>()('width', 'titles', 'cell', 'columns'));
  patterns.forEach((p, i) => {
    if (!isArrayLikeOfNumbers(p)) throw new TypeError(`patterns[${i}] must be an array or typed array of numbers, got ${describe(p)}`);
    if (p.length !== patterns[0].length) throw new RangeError(`patterns[${i}] must have length ${patterns[0].length}, got ${p.length}`);
  });
  const length = patterns[0].length;
  const width = checkInteger(opts.width ?? Math.round(Math.sqrt(length)), 'options.width', 1);
  if (length % width !== 0) throw new RangeError(`options.width (${width}) must divide the pattern length ${length}`);
  const height = length / width;
  const cell = checkInteger(opts.cell ?? 10, 'options.cell', 1);
  const columns = checkInteger(opts.columns ?? patterns.length, 'options.columns', 1);
  const titles = (opts.titles as string[] | undefined) ?? [];
  const gap = cell * 2;
  const caption = titles.length > 0 ? 18 : 0;
  const boxW = width * cell;
  const boxH = height * cell + caption;
  const rows = Math.ceil(patterns.length / columns);
  const body: string[] = [];
  patterns.forEach((p, k) => {
    const x0 = gap + (k % columns) * (boxW + gap);
    const y0 = gap + Math.floor(k / columns) * (boxH + gap);
    if (titles[k] !== undefined) body.push(`<text x="${x0}" y="${y0 + 12}" ${FONT}>${escapeXml(String(titles[k]))}</text>`);
    body.push(`<g transform="translate(${x0},${y0 + caption})">`);
    body.push(`<rect x="0" y="0" width="${boxW}" height="${height * cell}" fill="white" stroke="#999"/>`);
    for (let i = 0; i < length; i++) {
      const v = Math.max(-1, Math.min(1, Number(p[i])));
      if (!(v > -1)) continue;
      const grey = Math.round(255 * (1 - (v + 1) / 2));
      body.push(`<rect x="${(i % width) * cell}" y="${Math.floor(i / width) * cell}" width="${cell}" height="${cell}" fill="rgb(${grey},${grey},${grey})"/>`);
    }
    body.push('</g>');
  });
  return svgDocument(gap + Math.min(columns, patterns.length) * (boxW + gap), gap + rows * (boxH + gap), body);
}

/** One line of a {@link lineChartSvg}. */
export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** Size and labels of a chart. */
export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

function chartFrame(options: ChartOptions) {
  const opts = checkOptions(options, 'options', optionKeys<ChartOptions>()('title', 'xLabel', 'yLabel', 'width', 'height'));
  const width = checkInteger(opts.width ?? 640, 'options.width', 100);
  const height = checkInteger(opts.height ?? 400, 'options.height', 100);
  const margin = { left: 70, right: 150, top: 40, bottom: 50 };
  const plot = { x: margin.left, y: margin.top, w: width - margin.left - margin.right, h: height - margin.top - margin.bottom };
  const body: string[] = [];
  if (opts.title !== undefined) body.push(`<text x="${width / 2}" y="22" text-anchor="middle" ${TITLE_FONT}>${escapeXml(String(opts.title))}</text>`);
  if (opts.xLabel !== undefined) body.push(`<text x="${plot.x + plot.w / 2}" y="${height - 10}" text-anchor="middle" ${FONT}>${escapeXml(String(opts.xLabel))}</text>`);
  if (opts.yLabel !== undefined) body.push(`<text x="16" y="${plot.y + plot.h / 2}" text-anchor="middle" transform="rotate(-90 16 ${plot.y + plot.h / 2})" ${FONT}>${escapeXml(String(opts.yLabel))}</text>`);
  body.push(`<rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="none" stroke="#333"/>`);
  return { width, height, plot, body };
}

function axisRange(values: number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/**
 * Lines with markers, one per series, with a legend (energy traces, capacity curves).
 *
 * @example
 * ```ts
 * const svg = lineChartSvg([{ name: 'E', x: [0, 1, 2], y: [-1, -3, -3] }], { title: 'energy' });
 * ```
 */
export function lineChartSvg(series: Series[], options: ChartOptions = {}): string {
  if (!Array.isArray(series) || series.length === 0) throw new TypeError(`series must be a non-empty array, got ${describe(series)}`);
  const points = series.map((s, k) => {
    if (s === null || typeof s !== 'object' || !isArrayLikeOfNumbers(s.x) || !isArrayLikeOfNumbers(s.y)) {
      throw new TypeError(`series[${k}] must be an object { name, x, y } with arrays of numbers x and y, got ${describe(s)}`);
    }
    if (s.x.length !== s.y.length || s.x.length === 0) throw new RangeError(`series[${k}] needs x and y of the same non-zero length`);
    const pts: [number, number][] = [];
    for (let i = 0; i < s.x.length; i++) if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) pts.push([s.x[i], s.y[i]]);
    return pts;
  });
  const all = points.flat();
  if (all.length === 0) throw new RangeError('series have no finite points');
  const { width, height, plot, body } = chartFrame(options);
  const [x0, x1] = axisRange(all.map((p) => p[0]));
  const [y0, y1] = axisRange(all.map((p) => p[1]));
  const sx = (x: number) => plot.x + ((x - x0) / (x1 - x0)) * plot.w;
  const sy = (y: number) => plot.y + plot.h - ((y - y0) / (y1 - y0)) * plot.h;
  for (let t = 0; t <= 4; t++) {
    const xv = x0 + ((x1 - x0) * t) / 4;
    const yv = y0 + ((y1 - y0) * t) / 4;
    body.push(`<text x="${sx(xv)}" y="${plot.y + plot.h + 16}" text-anchor="middle" ${FONT}>${fmt(xv)}</text>`);
    body.push(`<text x="${plot.x - 6}" y="${sy(yv) + 4}" text-anchor="end" ${FONT}>${fmt(yv)}</text>`);
  }
  points.forEach((pts, k) => {
    const color = PALETTE[k % PALETTE.length];
    body.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([x, y]) => `${sx(x).toFixed(2)},${sy(y).toFixed(2)}`).join(' ')}"/>`);
    for (const [x, y] of pts) body.push(`<circle cx="${sx(x).toFixed(2)}" cy="${sy(y).toFixed(2)}" r="3" fill="${color}"/>`);
    const ly = plot.y + 10 + k * 18;
    body.push(`<rect x="${plot.x + plot.w + 12}" y="${ly - 8}" width="12" height="3" fill="${color}"/>`);
    body.push(`<text x="${plot.x + plot.w + 30}" y="${ly}" ${FONT}>${escapeXml(String(series[k].name))}</text>`);
  });
  return svgDocument(width, height, body);
}

/**
 * Vertical bars (e.g. the share of queries per support size).
 *
 * @example
 * ```ts
 * const svg = barChartSvg(['1', '2', '3+'], [70, 20, 10]);
 * ```
 */
export function barChartSvg(labels: string[], values: ArrayLike<number>, options: ChartOptions = {}): string {
  return bars(labels, values, options, 'values');
}

/** barChartSvg, naming the values `valuesName` in its errors. */
function bars(labels: string[], values: ArrayLike<number>, options: ChartOptions, valuesName: string): string {
  if (!Array.isArray(labels)) throw new TypeError(`labels must be an array, got ${describe(labels)}`);
  if (!isArrayLikeOfNumbers(values)) throw new TypeError(`${valuesName} must be an array or typed array of numbers, got ${describe(values)}`);
  if (labels.length !== values.length || labels.length === 0) throw new RangeError(`labels and ${valuesName} must be non-empty and of the same length`);
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number') throw new TypeError(`${valuesName}[${i}] must be a number, got ${describe(values[i])}`);
    if (!Number.isFinite(values[i]) || values[i] < 0) throw new RangeError(`${valuesName}[${i}] must be finite and >= 0, got ${values[i]}`);
  }
  const { width, height, plot, body } = chartFrame(options);
  const top = Math.max(...Array.from(values)) || 1;
  const slot = plot.w / labels.length;
  labels.forEach((label, i) => {
    const h = (values[i] / top) * (plot.h - 10);
    const x = plot.x + i * slot + slot * 0.1;
    body.push(`<rect x="${x.toFixed(2)}" y="${(plot.y + plot.h - h).toFixed(2)}" width="${(slot * 0.8).toFixed(2)}" height="${h.toFixed(2)}" fill="${PALETTE[0]}"/>`);
    body.push(`<text x="${(x + slot * 0.4).toFixed(2)}" y="${plot.y + plot.h + 16}" text-anchor="middle" ${FONT}>${escapeXml(String(label))}</text>`);
    body.push(`<text x="${(x + slot * 0.4).toFixed(2)}" y="${(plot.y + plot.h - h - 4).toFixed(2)}" text-anchor="middle" ${FONT}>${fmt(values[i])}</text>`);
  });
  return svgDocument(width, height, body);
}

/**
 * Energy after each sweep, one line per recall result.
 *
 * @example
 * ```ts
 * const svg = energyTraceSvg([{ name: 'cue 0', energies: net.recall(cue).energies }]);
 * ```
 */
export function energyTraceSvg(traces: { name: string; energies: ArrayLike<number> }[], options: ChartOptions = {}): string {
  checkLines(traces, 'traces', 'energies', 'an array of numbers', isArrayLikeOfNumbers);
  return lineChartSvg(
    traces.map((t) => ({ name: t.name, x: Array.from({ length: t.energies.length }, (_, i) => i), y: t.energies })),
    { xLabel: 'sweep', yLabel: 'energy', ...options },
  );
}

/**
 * Mean final overlap against load p/N, one line per curve.
 *
 * @example
 * ```ts
 * const svg = capacityCurveSvg([{ name: 'hebbian', points: capacityCurve({ n: 256, loads: [0.05, 0.1, 0.2] }) }]);
 * ```
 */
export function capacityCurveSvg(curves: { name: string; points: { load: number; meanOverlap: number }[] }[], options: ChartOptions = {}): string {
  checkLines(curves, 'curves', 'points', 'an array of { load, meanOverlap }', (points) => Array.isArray(points) && points.every((p) => p !== null && typeof p === 'object'));
  return lineChartSvg(
    curves.map((c) => ({ name: c.name, x: c.points.map((p) => p.load), y: c.points.map((p) => p.meanOverlap) })),
    { xLabel: 'load p/N', yLabel: 'mean final overlap', ...options },
  );
}

/**
 * Share of queries per support size: counts[k] = queries whose support has k + 1 entries (the last bar: k + 1 or more).
 *
 * @example
 * ```ts
 * const svg = supportHistogramSvg([812, 120, 40, 28]);
 * ```
 */
export function supportHistogramSvg(counts: ArrayLike<number>, options: ChartOptions = {}): string {
  if (!isArrayLikeOfNumbers(counts)) throw new TypeError(`counts must be an array or typed array of numbers, got ${describe(counts)}`);
  const labels = Array.from({ length: counts.length }, (_, k) => (k === counts.length - 1 ? `${k + 1}+` : String(k + 1)));
  return bars(labels, counts, { xLabel: 'support size', yLabel: 'queries', ...options }, 'counts');
}

/** A non-empty array of objects { name, [field] } with `field` a non-empty list (`kind`, as isList says), or an error naming the culprit. */
function checkLines(lines: unknown, name: string, field: string, kind: string, isList: (value: unknown) => boolean): void {
  if (!Array.isArray(lines) || lines.length === 0) throw new TypeError(`${name} must be a non-empty array, got ${describe(lines)}`);
  lines.forEach((line, i) => {
    const list = line !== null && typeof line === 'object' ? (line as Record<string, unknown>)[field] : undefined;
    if (!isList(list)) throw new TypeError(`${name}[${i}] must be an object { name, ${field} } with ${field} ${kind}, got ${describe(line)}`);
    if ((list as unknown[]).length === 0) throw new RangeError(`${name}[${i}].${field} must not be empty`);
  });
}

/** Options of {@link labelMapSvg}. */
export interface LabelMapOptions {
  /** [xMin, xMax, yMin, yMax] of the grid (default [0, columns, 0, rows]). */
  extent?: [number, number, number, number];
  /** Points to mark (e.g. the stored patterns), as [x, y]. */
  points?: ArrayLike<number>[];
  title?: string;
  /** Side of the map in SVG units (default 400). */
  size?: number;
  /** Legend entry per label 0, 1, ... (labels beyond it are unnamed). */
  names?: string[];
  /** Legend entry of label -1 (none when omitted). */
  otherName?: string;
}

/**
 * A map of integer labels over a regular grid (row 0 at the top = yMax), one colour per label and
 * light grey for -1, with marked points: e.g. basins of attraction of a 2-D memory.
 *
 * @example
 * ```ts
 * const svg = labelMapSvg([0, 0, 1, -1], 2, { extent: [-1, 1, -1, 1], points: [[-0.5, 0.5], [0.5, -0.5]] });
 * ```
 */
export function labelMapSvg(labels: ArrayLike<number>, columns: number, options: LabelMapOptions = {}): string {
  if (!isArrayLikeOfNumbers(labels) || labels.length === 0) throw new TypeError('labels must be a non-empty array of integers');
  checkInteger(columns, 'columns', 1);
  if (labels.length % columns !== 0) throw new RangeError(`labels length ${labels.length} is not a multiple of columns ${columns}`);
  const opts = checkOptions(options, 'options', optionKeys<LabelMapOptions>()('extent', 'points', 'title', 'size', 'names', 'otherName'));
  const rows = labels.length / columns;
  const extent = opts.extent ?? [0, columns, 0, rows];
  if (!isArrayLikeOfNumbers(extent)) throw new TypeError(`options.extent must be [xMin, xMax, yMin, yMax], got ${describe(extent)}`);
  const [x0, x1, y0, y1] = Array.from(extent);
  if (extent.length !== 4 || !(x1 > x0 && y1 > y0) || !Array.from(extent).every(Number.isFinite)) {
    throw new RangeError('options.extent must be [xMin, xMax, yMin, yMax], finite, with xMax > xMin and yMax > yMin');
  }
  const points = opts.points ?? [];
  if (!Array.isArray(points)) throw new TypeError(`options.points must be an array of [x, y] points, got ${describe(points)}`);
  points.forEach((p, i) => {
    if (!isArrayLikeOfNumbers(p)) throw new TypeError(`options.points[${i}] must be an [x, y] pair of numbers, got ${describe(p)}`);
    if (p.length !== 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) throw new RangeError(`options.points[${i}] must be an [x, y] pair of finite numbers`);
  });
  const names = opts.names ?? [];
  if (!Array.isArray(names)) throw new TypeError(`options.names must be an array of strings, got ${describe(names)}`);
  const size = checkInteger(opts.size ?? 400, 'options.size', 50);
  const top = opts.title === undefined ? 10 : 34;
  const legend: Array<[string, number]> = names.map((name, i) => [String(name), i]);
  if (opts.otherName !== undefined) legend.push([String(opts.otherName), -1]);
  const legendWidth = legend.length > 0 ? 190 : 10;
  const cw = size / columns;
  const ch = size / rows;
  const body: string[] = [];
  if (opts.title !== undefined) body.push(`<text x="${(10 + size / 2).toFixed(1)}" y="22" text-anchor="middle" ${TITLE_FONT}>${escapeXml(String(opts.title))}</text>`);
  const colour = (label: number) => (label < 0 ? '#dddddd' : PALETTE[label % PALETTE.length]);
  // One rectangle per run of equal labels in a row keeps the file small.
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; ) {
      const label = labels[r * columns + c];
      let end = c + 1;
      while (end < columns && labels[r * columns + end] === label) end++;
      body.push(`<rect x="${(10 + c * cw).toFixed(2)}" y="${(top + r * ch).toFixed(2)}" width="${((end - c) * cw).toFixed(2)}" height="${ch.toFixed(2)}" fill="${colour(label)}" shape-rendering="crispEdges"/>`);
      c = end;
    }
  }
  for (const p of points as ArrayLike<number>[]) {
    const px = 10 + ((p[0] - x0) / (x1 - x0)) * size;
    const py = top + ((y1 - p[1]) / (y1 - y0)) * size;
    body.push(`<circle cx="${px.toFixed(2)}" cy="${py.toFixed(2)}" r="5" fill="black" stroke="white" stroke-width="2"/>`);
  }
  legend.forEach(([name, label], i) => {
    const y = top + 10 + i * 20;
    body.push(`<rect x="${size + 20}" y="${y}" width="12" height="12" fill="${colour(label)}"/>`);
    body.push(`<text x="${size + 38}" y="${y + 11}" ${FONT}>${escapeXml(String(name))}</text>`);
  });
  return svgDocument(size + 10 + legendWidth, size + top + 10, body);
}
