// AdamW: bad hyper-parameters and gradients are refused with an error naming them, and a refused
// step leaves the parameters and the optimiser's moments exactly as they were. (AdamW is pure
// TypeScript: there is no backend to choose.)
import t from 'tap';
import { AdamW } from '../src/index';

/** The first AdamW step from zero moments: mhat = g and vhat = g^2, so w -= lr (g / (|g| + eps) + decay w). */
function firstStep(w: number[], g: number[], lr: number, eps: number, decay = 0): number[] {
  return w.map((x, i) => x - lr * (g[i] / (Math.abs(g[i]) + eps) + decay * x));
}

t.test('bad hyper-parameters are refused, naming the option', async (t) => {
  const w = () => [new Float64Array(2)];
  const cases: [object, RegExp][] = [
    [{ epsilon: 0 }, /options\.epsilon must be > 0, got 0/],
    [{ epsilon: -1e-8 }, /options\.epsilon must be > 0/],
    [{ epsilon: NaN }, /options\.epsilon must be finite/],
    [{ learningRate: 0 }, /options\.learningRate must be > 0/],
    [{ learningRate: -0.1 }, /options\.learningRate must be > 0/],
    [{ learningRate: Infinity }, /options\.learningRate must be finite/],
    [{ weightDecay: -1 }, /options\.weightDecay must be >= 0/],
    [{ learningRate: 0.5, weightDecay: 3 }, /learningRate \* weightDecay <= 1/],
    [{ beta1: 1 }, /options\.beta1 must be in \[0, 1\)/],
    [{ beta2: -0.1 }, /options\.beta2 must be in \[0, 1\)/],
  ];
  for (const [options, message] of cases) t.throws(() => new AdamW(w(), options), { name: 'RangeError', message }, JSON.stringify(options));
  t.throws(() => new AdamW(w(), { epsilon: '1e-8' as never }), { name: 'TypeError', message: /options\.epsilon must be a number/ });
  t.throws(() => new AdamW([Float64Array.of(1, NaN)]), { name: 'RangeError', message: 'params[0][1] must be finite, got NaN' });
  t.doesNotThrow(() => new AdamW(w(), { learningRate: 0.5, weightDecay: 2 }), 'learningRate * weightDecay = 1 is allowed');
});

t.test('a zero gradient entry leaves its parameter alone (epsilon > 0)', async (t) => {
  const w = Float64Array.of(1, -2);
  new AdamW([w], { learningRate: 0.1 }).step([Float64Array.of(0.5, 0)]);
  const expected = firstStep([1, -2], [0.5, 0], 0.1, 1e-8);
  t.ok(Math.abs(w[0] - expected[0]) <= 1e-15, `w[0] = ${w[0]}, expected ${expected[0]}`);
  t.equal(w[1], -2);
});

t.test('a refused step touches neither the parameters nor the moments', async (t) => {
  const bad: [string, unknown, string, RegExp][] = [
    ['not an array', Float64Array.of(1, 2), 'TypeError', /^grads must be an array of 2 gradients/],
    ['too few', [Float64Array.of(1, 2)], 'RangeError', /^grads must hold 2 gradients, got 1/],
    ['null gradient', [null, [1, 2, 3]], 'TypeError', /^grads\[0\] must be an array or typed array of numbers, got null/],
    ['wrong length', [[1], [1, 2, 3]], 'RangeError', /^grads\[0\] must have length 2, got 1/],
    ['string entry', [['a', NaN], [1, 2, 3]], 'TypeError', /^grads\[0\]\[0\] must be a number, got 'a'/],
    ['NaN entry', [[0.5, 0], [1, NaN, 3]], 'RangeError', /^grads\[1\]\[1\] must be finite, got NaN/],
    ['infinite entry', [[0.5, 0], [1, 2, -Infinity]], 'RangeError', /^grads\[1\]\[2\] must be finite/],
    // g^2 = 1e400 overflows the second moment.
    ['huge entry', [[0.5, 0], [1, 1e200, 3]], 'RangeError', /^grads\[1\]\[1\] = 1e\+200 is too large/],
  ];
  for (const [what, grads, name, message] of bad) {
    const a = Float64Array.of(1, -2);
    const b = Float64Array.of(0.5, 0.25, -4);
    const opt = new AdamW([a, b], { learningRate: 0.01, weightDecay: 0.1 });
    t.throws(() => opt.step(grads as never), { name, message }, what);
    t.same([...a, ...b], [1, -2, 0.5, 0.25, -4], `${what}: parameters unchanged`);
    // The next step is still a first step (t and both moments untouched): its closed form holds.
    const g = [0.5, -3, 2, 0, 1];
    opt.step([g.slice(0, 2), g.slice(2)]);
    const expected = firstStep([1, -2, 0.5, 0.25, -4], g, 0.01, 1e-8, 0.1);
    const got = [...a, ...b];
    t.ok(got.every((x, i) => Math.abs(x - expected[i]) <= 1e-15 * Math.max(1, Math.abs(expected[i]))), `${what}: then a clean first step ${got} ~ ${expected}`);
  }
});

t.test('parameters the caller made non-finite are refused before the step', async (t) => {
  const w = Float64Array.of(1, 2);
  const opt = new AdamW([w]);
  w[1] = Infinity;
  t.throws(() => opt.step([[1, 1]]), { name: 'RangeError', message: 'params[0][1] must be finite, got Infinity' });
  t.same([...w], [1, Infinity]);
});
