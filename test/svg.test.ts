// SVG helpers: well-formed documents, the right number of marks, escaped text, clear errors.
import t from 'tap';
import { barChartSvg, capacityCurveSvg, energyTraceSvg, lineChartSvg, patternGridSvg, supportHistogramSvg } from '../src/index';

/** Checks that every tag is closed in order and attributes are not repeated. */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    const [, closing, name, attrs, selfClosing] = m;
    const names = [...attrs.matchAll(/([a-zA-Z-:]+)="/g)].map((a) => a[1]);
    if (new Set(names).size !== names.length) return false;
    if (closing) {
      if (stack.pop() !== name) return false;
    } else if (!selfClosing) stack.push(name);
  }
  const text = svg.replace(/<[^>]*>/g, '');
  return stack.length === 0 && !/[<>]/.test(text) && !/&(?!(lt|gt|amp|quot|apos);)/.test(text);
}

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
