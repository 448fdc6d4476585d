// SVG helpers: well-formed documents, the right number of marks, escaped text, clear errors.
import t, { Test } from 'tap';
import { barChartSvg, capacityCurveSvg, energyTraceSvg, labelMapSvg, lineChartSvg, patternGridSvg, supportHistogramSvg } from '../src/index';
import { wellFormedSvg as wellFormed } from './helpers';

t.test('pattern grids draw one cell per +1 pixel', async (t) => {
  const svg = patternGridSvg([[1, -1, -1, 1], [1, 1, 1, -1]], { width: 2, titles: ['a <b>', 'c & d'] });
  t.ok(wellFormed(svg));
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.equal((svg.match(/fill="rgb\(0,0,0\)"/g) ?? []).length, 5, 'five black cells');
  t.match(svg, /a &lt;b&gt;/);
  t.match(svg, /c &amp; d/);
  t.throws(() => patternGridSvg([]), TypeError);
  t.throws(() => patternGridSvg([[1, 1, 1]], { width: 2 }), RangeError);
  t.throws(() => patternGridSvg([[1, 1], [1]]), RangeError);
});

t.test('line and bar charts place every point inside the plot', async (t) => {
  const svg = lineChartSvg([{ name: 'x<y', x: [0, 1, 2], y: [3, 1, NaN] }, { name: 'b', x: [0, 1], y: [2, 2] }], { title: 'T', width: 500, height: 300 });
  t.ok(wellFormed(svg));
  const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
  t.equal(circles.length, 4, 'non-finite points are skipped');
  t.ok(circles.every(([x, y]) => x >= 70 && x <= 500 - 150 && y >= 40 && y <= 300 - 50));
  t.throws(() => lineChartSvg([{ name: 'a', x: [1, 2], y: [1] }]), RangeError);
  const bars = barChartSvg(['1', '2', '3+'], [5, 0, 2]);
  t.ok(wellFormed(bars));
  t.equal((bars.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#1f77b4"/g) ?? []).length, 3);
  t.throws(() => barChartSvg(['a'], [-1]), RangeError);
  t.ok(wellFormed(energyTraceSvg([{ name: 'e', energies: Float64Array.from([0, -1, -2]) }])));
  t.ok(wellFormed(capacityCurveSvg([{ name: 'h', points: [{ load: 0.1, meanOverlap: 1 }, { load: 0.2, meanOverlap: 0.5 }] }])));
  t.ok(wellFormed(supportHistogramSvg([3, 2, 1])));
  t.match(supportHistogramSvg([3, 2, 1]), />3\+</);
});

// The default chart frame: 640 x 400 with margins left 70, right 150, top 40, bottom 50.
const PLOT = { x: 70, y: 40, w: 420, h: 310 };
const circlesOf = (svg: string) => [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="3" fill="([^"]+)"/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), fill: m[3] }));
const textsOf = (svg: string) => [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
const rectsOf = (svg: string) =>
  [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="([^"]+)"/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), w: Number(m[3]), h: Number(m[4]), fill: m[5] }));

/** Pixel positions are an affine function of the values (the chart's scale), increasing or decreasing as asked; every axis keeps 5% of its range free at each end. */
function checkScale(t: Test, pixels: number[], values: number[], start: number, length: number, increasing: boolean, what: string) {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo;
  // value v sits at start + (v - lo + 0.05 span) / (1.1 span) * length (reversed for the y axis).
  const expected = values.map((v) => {
    const f = (v - lo + 0.05 * span) / (1.1 * span);
    return increasing ? start + f * length : start + length - f * length;
  });
  t.ok(pixels.every((p, i) => Math.abs(p - expected[i]) < 0.006), `${what}: ${pixels.join(',')} vs ${expected.map((e) => e.toFixed(2)).join(',')}`);
}

t.test('energy traces: one marker per sweep, placed by sweep index and energy, with the series names and axis labels', async (t) => {
  const traces = [{ name: 'cue <0>', energies: Float64Array.from([0, -1, -2.5]) }, { name: 'cue 1', energies: [-0.5, -2] }];
  const svg = energyTraceSvg(traces, { title: 'E' });
  t.ok(wellFormed(svg));
  const marks = circlesOf(svg);
  t.equal(marks.length, 5, 'three plus two markers');
  t.equal((svg.match(/<polyline /g) ?? []).length, 2, 'one line per trace');
  t.equal(new Set(marks.slice(0, 3).map((m) => m.fill)).size, 1, 'one colour per trace');
  t.not(marks[0].fill, marks[3].fill, 'different traces, different colours');
  checkScale(t, marks.map((m) => m.x), [0, 1, 2, 0, 1], PLOT.x, PLOT.w, true, 'x = sweep index');
  checkScale(t, marks.map((m) => m.y), [0, -1, -2.5, -0.5, -2], PLOT.y, PLOT.h, false, 'y = energy');
  const texts = textsOf(svg);
  for (const label of ['E', 'sweep', 'energy', 'cue &lt;0&gt;', 'cue 1']) t.ok(texts.includes(label), `text ${label}`);
  t.ok(textsOf(energyTraceSvg(traces, { xLabel: 'update' })).includes('update'), 'axis labels can be renamed');
  t.throws(() => energyTraceSvg([{ name: 'e', energies: [] }]), RangeError);
});

t.test('capacity curves: one marker per load, placed by load and mean overlap', async (t) => {
  const curves = [
    { name: 'hebbian', points: [{ load: 0.05, meanOverlap: 1 }, { load: 0.1, meanOverlap: 0.98 }, { load: 0.2, meanOverlap: 0.6 }] },
    { name: 'storkey', points: [{ load: 0.05, meanOverlap: 1 }, { load: 0.3, meanOverlap: 0.9 }] },
  ];
  const svg = capacityCurveSvg(curves);
  t.ok(wellFormed(svg));
  const marks = circlesOf(svg);
  t.equal(marks.length, 5);
  checkScale(t, marks.map((m) => m.x), [0.05, 0.1, 0.2, 0.05, 0.3], PLOT.x, PLOT.w, true, 'x = load');
  checkScale(t, marks.map((m) => m.y), [1, 0.98, 0.6, 1, 0.9], PLOT.y, PLOT.h, false, 'y = mean overlap');
  const texts = textsOf(svg);
  for (const label of ['load p/N', 'mean final overlap', 'hebbian', 'storkey']) t.ok(texts.includes(label), `text ${label}`);
  // Five ticks per axis spanning the padded range: the first x tick is the lowest load less 5% of the span 0.25.
  t.ok(texts.includes(String(Number((0.05 - 0.05 * 0.25).toPrecision(3)))), 'lowest x tick');
});

t.test('support histograms: one bar per size, heights proportional to the counts, the last bar open-ended', async (t) => {
  const counts = [812, 120, 0, 28];
  const svg = supportHistogramSvg(counts);
  t.ok(wellFormed(svg));
  const bars = rectsOf(svg).filter((r) => r.fill === '#1f77b4');
  t.equal(bars.length, 4, 'a bar per count, zero included');
  const tallest = PLOT.h - 10;
  bars.forEach((bar, i) => {
    t.ok(Math.abs(bar.h - (counts[i] / 812) * tallest) < 0.006, `bar ${i} height ${bar.h}`);
    t.ok(Math.abs(bar.y + bar.h - (PLOT.y + PLOT.h)) < 0.006, `bar ${i} stands on the axis`);
    t.ok(Math.abs(bar.w - (PLOT.w / 4) * 0.8) < 0.006, `bar ${i} width`);
    if (i > 0) t.ok(Math.abs(bar.x - bars[i - 1].x - PLOT.w / 4) < 0.006, `bar ${i} follows bar ${i - 1}`);
  });
  const texts = textsOf(svg);
  for (const label of ['1', '2', '3', '4+', '812', '120', '0', '28', 'support size', 'queries']) t.ok(texts.includes(label), `text ${label}`);
  t.throws(() => supportHistogramSvg([1, -1]), RangeError);
  t.throws(() => supportHistogramSvg([]), RangeError);
});

t.test('label maps: runs of equal labels as rectangles covering the grid, one colour per label, points placed by the extent', async (t) => {
  const labels = [0, 0, 1, 1, -1, 2, 2, 2, 0, 1, 0, 1];
  const size = 200;
  const svg = labelMapSvg(labels, 4, { extent: [-1, 1, -3, 3], points: [[-1, 3], [0, 0], [1, -3]], title: 'basins', size, names: ['a', 'b', 'c'], otherName: 'none' });
  t.ok(wellFormed(svg));
  const top = 34; // below the title
  const cells = rectsOf(svg).filter((r) => r.y >= top && r.y < top + size && r.x >= 10 && r.x < 10 + size && r.w < size + 1 && r.h === Number((size / 3).toFixed(2)));
  t.equal(cells.length, 8, 'runs: 2 + 2 + 4');
  const colour = (label: number) => (label < 0 ? '#dddddd' : ['#1f77b4', '#d62728', '#2ca02c'][label]);
  for (let r = 0; r < 3; r++) {
    const row = cells.filter((c) => Math.abs(c.y - (top + (r * size) / 3)) < 0.01).sort((a, b) => a.x - b.x);
    t.ok(Math.abs(row.reduce((a, c) => a + c.w, 0) - size) < 0.02, `row ${r} is covered`);
    for (const c of row) {
      // Every column under the rectangle has the rectangle's label.
      for (let col = Math.round((c.x - 10) / (size / 4)); col < Math.round((c.x - 10 + c.w) / (size / 4)); col++) t.equal(c.fill, colour(labels[r * 4 + col]), `row ${r} column ${col}`);
    }
  }
  const points = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="5"/g)].map((m) => [Number(m[1]), Number(m[2])]);
  t.same(points, [[10, top], [10 + size / 2, top + size / 2], [10 + size, top + size]], '(xMin, yMax) top left, centre, (xMax, yMin) bottom right');
  const texts = textsOf(svg);
  for (const label of ['basins', 'a', 'b', 'c', 'none']) t.ok(texts.includes(label), `text ${label}`);
  t.equal(rectsOf(svg).filter((r) => r.w === 12 && r.h === 12).length, 4, 'a legend swatch per name and for -1');
  t.throws(() => labelMapSvg([0, 1, 2], 2), RangeError);
  t.throws(() => labelMapSvg([0, 1], 2, { extent: [1, 0, 0, 1] }), RangeError);
  t.throws(() => labelMapSvg([], 1), TypeError);
});
