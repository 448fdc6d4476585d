// Hopfield pooling: the forward pass by hand, every gradient against central finite differences for
// each transform, and training with AdamW on a synthetic multiple-instance task (a bag is positive
// iff it holds an instance of a hidden class) reaching high held-out accuracy, on each backend.
import t from 'tap';
import { AdamW, getLimits, HopfieldPooling, Rng, setLimits, softmax } from '../src/index';
import type { MemoryTransform } from '../src/index';
import { backendsUnderTest, maxAbsDiff } from './helpers';

const transforms: Array<[string, MemoryTransform]> = [
  ['softmax', 'softmax'],
  ['sparsemax', 'sparsemax'],
  ['entmax15', 'entmax15'],
  ['normmax 3', { name: 'normmax', gamma: 3 }],
  ['kSubsets 2', { name: 'kSubsets', k: 2 }],
  ['sequentialKSubsets 2', { name: 'sequentialKSubsets', k: 2, bonus: 0.3 }],
];

function bagOf(rng: Rng, m: number, d: number): number[][] {
  return Array.from({ length: m }, () => Array.from({ length: d }, () => rng.normal()));
}

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] forward is Wv Y^T yhat(beta Y Wk^T q)`, async (t) => {
    const rng = new Rng(1);
    const pool = new HopfieldPooling({ inputDim: 4, keyDim: 3, valueDim: 2, queries: 2, beta: 0.7, seed: 3, backend });
    const bag = bagOf(rng, 5, 4);
    const f = pool.forward(bag);
    for (let j = 0; j < 2; j++) {
      const q = pool.queries.subarray(j * 3, j * 3 + 3);
      const s = bag.map((y) => {
        let v = 0;
        for (let c = 0; c < 3; c++) for (let e = 0; e < 4; e++) v += q[c] * pool.keyWeights[c * 4 + e] * y[e];
        return 0.7 * v;
      });
      const p = softmax(s);
      t.ok(maxAbsDiff(f.weights.data.subarray(j * 5, j * 5 + 5), p) < 1e-14);
      for (let o = 0; o < 2; o++) {
        let v = 0;
        for (let i = 0; i < 5; i++) for (let e = 0; e < 4; e++) v += pool.valueWeights![o * 4 + e] * bag[i][e] * p[i];
        t.ok(Math.abs(f.output.data[j * 2 + o] - v) < 1e-13);
      }
    }
    t.equal(f.support[0], 5);
  });

  for (const [name, transform] of transforms) {
    t.test(`[${backend}] ${name}: gradients match central finite differences`, async (t) => {
      const rng = new Rng(2);
      for (const valueDim of [null, 3]) {
        const pool = new HopfieldPooling({ inputDim: 5, keyDim: 4, valueDim, queries: 2, transform, beta: 1.3, seed: 5, backend });
        const bag = bagOf(rng, 6, 5);
        const c = Float64Array.from({ length: 2 * pool.outputDim }, () => rng.normal());
        const loss = () => {
          const out = pool.forward(bag).output.data;
          let v = 0;
          for (let i = 0; i < out.length; i++) v += c[i] * out[i];
          return v;
        };
        const grads = pool.backward(bag, c);
        const h = 1e-6;
        const check = (label: string, values: Float64Array | number[][], grad: Float64Array) => {
          let worst = 0;
          let scale = 1e-3;
          const flat = values instanceof Float64Array ? values.length : values.length * values[0].length;
          for (let k = 0; k < flat; k++) {
            const get = () => (values instanceof Float64Array ? values[k] : values[Math.floor(k / 5)][k % 5]);
            const set = (v: number) => {
              if (values instanceof Float64Array) values[k] = v;
              else values[Math.floor(k / 5)][k % 5] = v;
            };
            const x0 = get();
            set(x0 + h);
            const up = loss();
            set(x0 - h);
            const down = loss();
            set(x0);
            worst = Math.max(worst, Math.abs((up - down) / (2 * h) - grad[k]));
            scale = Math.max(scale, Math.abs(grad[k]));
          }
          t.ok(worst < 1e-5 * scale + 1e-7, `${label} (valueDim ${valueDim}): max error ${worst}`);
        };
        check('queries', pool.queries, grads.queries);
        check('keyWeights', pool.keyWeights, grads.keyWeights);
        if (pool.valueWeights) check('valueWeights', pool.valueWeights, grads.valueWeights!);
        check('inputs', bag, grads.inputs);
      }
    });
  }

  t.test(`[${backend}] trained with AdamW, sparse pooling solves a multiple-instance task`, async (t) => {
    for (const seed of [1, 3]) {
      const rng = new Rng(seed);
      const d = 8;
      const target = Array.from({ length: d }, () => rng.normal());
      const makeBag = (positive: boolean) => {
        const bag = bagOf(rng, 6, d);
        if (positive) bag[rng.below(6)] = target.map((v) => v + 0.3 * rng.normal());
        return bag;
      };
      // Four learned queries, each pooled to 4 values; a logistic read-out of the 16.
      const pool = new HopfieldPooling({ inputDim: d, keyDim: 6, valueDim: 4, queries: 4, transform: 'sparsemax', seed: 11, backend });
      const w = Float64Array.from({ length: 16 }, () => 0.1 * rng.normal());
      const bias = new Float64Array(1);
      const params = [...pool.parameters(), w, bias];
      const optimiser = new AdamW(params, { learningRate: 0.05 });
      const predict = (bag: number[][]) => {
        const out = pool.forward(bag).output.data;
        let z = bias[0];
        for (let o = 0; o < 16; o++) z += w[o] * out[o];
        return { out, prob: 1 / (1 + Math.exp(-z)) };
      };
      const accuracy = () => {
        let correct = 0;
        for (let i = 0; i < 400; i++) if (predict(makeBag(i % 2 === 0)).prob > 0.5 === (i % 2 === 0)) correct++;
        return correct / 400;
      };
      const before = accuracy();
      // Mini-batches of 16 bags, half of them positive.
      for (let step = 0; step < 300; step++) {
        const sum = params.map((p) => new Float64Array(p.length));
        for (let b = 0; b < 16; b++) {
          const positive = b % 2 === 0;
          const bag = makeBag(positive);
          const { out, prob } = predict(bag);
          const dz = (prob - (positive ? 1 : 0)) / 16;
          const g = pool.backward(bag, Float64Array.from(out, (_, o) => dz * w[o]));
          [g.queries, g.keyWeights, g.valueWeights!, Float64Array.from(out, (v) => dz * v), Float64Array.of(dz)].forEach((a, i) => a.forEach((v, j) => (sum[i][j] += v)));
        }
        optimiser.step(sum);
      }
      const after = accuracy();
      t.ok(after >= 0.85 && after - before >= 0.3, `seed ${seed}: held-out accuracy ${before} before training, ${after} after`);
    }
  });

  t.test(`[${backend}] bad input`, async (t) => {
    t.throws(() => new HopfieldPooling({ inputDim: 0 }), { name: 'RangeError', message: /options.inputDim/ });
    t.throws(() => new HopfieldPooling(undefined as unknown as { inputDim: number }), TypeError);
    t.throws(() => new HopfieldPooling({ inputDim: 3, beta: -1 }), { name: 'RangeError', message: /options.beta/ });
    const pool = new HopfieldPooling({ inputDim: 3, transform: { name: 'kSubsets', k: 2 }, backend });
    t.throws(() => pool.forward([[1, 2]]), { name: 'RangeError', message: /bag\[0\] must have length 3/ });
    t.throws(() => pool.forward([[1, 2, 3]]), { name: 'RangeError', message: /at least k = 2 instances/ });
    t.throws(() => pool.forward([[1, 2, NaN], [0, 0, 0]]), { name: 'RangeError', message: /bag\[0\]\[2\] must be finite/ });
    t.throws(() => pool.backward([[1, 2, 3], [0, 0, 0]], [1, 2]), { name: 'RangeError', message: /gradOutput must have 3 entries/ });
    t.throws(() => pool.backward([[1, 2, 3], [0, 0, 0]], [1, 2, NaN]), { name: 'RangeError', message: /gradOutput\[2\]/ });
    t.throws(() => new AdamW([new Float64Array(2)]).step([new Float64Array(3)]), { name: 'RangeError', message: /grads\[0\] must have length 2/ });
    t.throws(() => new AdamW([new Float64Array(2)], { beta1: 1 }), { name: 'RangeError', message: /beta1/ });
  });

  t.test(`[${backend}] every buffer is checked against setLimits`, async (t) => {
    const saved = getLimits();
    setLimits({ maxBytes: 2 ** 20 });
    try {
      // 1024 x 1024 key weights are 8 MiB: they used to be allocated under a 1 MiB limit.
      t.throws(() => new HopfieldPooling({ inputDim: 1024, backend }), {
        name: 'RangeError', message: 'the key weights (options.keyDim x options.inputDim) would need 8.0 MiB, above the limit of 1.0 MiB (see setLimits)',
      });
      t.throws(() => new HopfieldPooling({ inputDim: 2, keyDim: 4, queries: 40000, backend }), { name: 'RangeError', message: /^the queries \(options.queries x options.keyDim\) would need 1.2 MiB/ });
      t.throws(() => new HopfieldPooling({ inputDim: 8, valueDim: 20000, backend }), { name: 'RangeError', message: /^the value weights \(options.valueDim x options.inputDim\) would need 1.2 MiB/ });
      // A bag of 4096 x 4 (128 KiB) whose 4096 x 64 keys need 2 MiB.
      const pool = new HopfieldPooling({ inputDim: 4, keyDim: 64, backend });
      const bag = { data: new Float64Array(4096 * 4).fill(0.5), rows: 4096, cols: 4 };
      t.throws(() => pool.forward(bag), { name: 'RangeError', message: /^the keys \(bag rows x keyDim\) would need 2.0 MiB/ });
      t.throws(() => pool.backward(bag, [1, 1, 1, 1]), { name: 'RangeError', message: /^the keys \(bag rows x keyDim\) would need 2.0 MiB/ });
      // 160 queries over a bag of 1024: 1.25 MiB of scores.
      const many = new HopfieldPooling({ inputDim: 2, queries: 160, backend });
      t.throws(() => many.forward({ data: new Float64Array(2048), rows: 1024, cols: 2 }), { name: 'RangeError', message: /^the scores \(queries x bag rows\) would need 1.3 MiB/ });
    } finally {
      setLimits(saved);
    }
    const small = new HopfieldPooling({ inputDim: 4, keyDim: 64, backend }).forward({ data: new Float64Array(4096 * 4).fill(0.5), rows: 4096, cols: 4 });
    // Equal instances get equal weights whatever the transform's scores: softmax gives 1 / 4096 each.
    t.ok(small.weights.data.every((w) => Math.abs(w - 1 / 4096) < 1e-15), 'the same bag pools under the default limit');
  });

  t.test(`[${backend}] a bag too large for the layer is refused, naming the bag`, async (t) => {
    const message = (what: string) => new RegExp(`^bag is too large for this layer: ${what} overflowed \\(\\|bag\\| up to 1e\\+308, \\|queries\\| up to `);
    // 1e308 (w0 - w1 + w2) overflows some key: the scores are +-Infinity or NaN. The transforms used
    // to refuse them naming their own argument x, or to take -Infinity as a masked instance.
    const pool = new HopfieldPooling({ inputDim: 3, seed: 0, backend });
    const huge = [[1e308, -1e308, 1e308], [1, 2, 3]];
    t.throws(() => pool.forward(huge), { name: 'RangeError', message: message('the scores beta \\(bag Wk\\^T\\) q') });
    t.throws(() => pool.backward(huge, [1, 1, 1]), { name: 'RangeError', message: message('the scores beta \\(bag Wk\\^T\\) q') });
    // k-subsets weights sum to k = 2: two instances of 1e308 pool to 2e308.
    const k2 = new HopfieldPooling({ inputDim: 3, transform: { name: 'kSubsets', k: 2 }, backend });
    t.throws(() => k2.forward([[1e308, 1e308, 1e308], [1e308, 1e308, 1e308]]), { name: 'RangeError', message: message('the output') });
    // Zero key weights make every score 0; dL/dp_0 = y_0 . gradOutput = 3e308 overflows.
    const tiny = new HopfieldPooling({ inputDim: 3, backend });
    tiny.keyWeights.fill(0);
    const bag = [[1e308, 1e308, 1e308], [0, 0, 0]];
    const { output, weights } = tiny.forward(bag);
    t.same([...weights.data], [0.5, 0.5], 'equal scores: softmax weighs both instances 1/2');
    t.same([...output.data], [5e307, 5e307, 5e307]);
    t.throws(() => tiny.backward(bag, [1, 1, 1]), { name: 'RangeError', message: message('dL/dp = bag h') });
  });
}
