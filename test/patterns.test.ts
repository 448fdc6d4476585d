// Pattern helpers against their definitions: hand-worked examples, then random vectors checked with
// independent loops (no backend involved; these helpers are plain TypeScript).
import t from 'tap';
import { flipBits, hammingDistance, hammingSimilarity, randomPatterns, Rng, similarityMatrix, toBinary, toBipolar } from '../src/index';

const randomBipolar = (n: number, rng: Rng) => Array.from({ length: n }, () => (rng.nextDouble() < 0.5 ? -1 : 1));

t.test('hammingDistance counts the differing positions', async (t) => {
  t.equal(hammingDistance([1, 1, -1], [1, -1, 1]), 2);
  t.equal(hammingDistance([1, -1, 1, -1], [1, -1, 1, -1]), 0);
  t.equal(hammingDistance([1, -1, 1, -1], [-1, 1, -1, 1]), 4);
  t.equal(hammingDistance(Int8Array.of(1, -1, -1), Float64Array.of(-1, -1, -1)), 1, 'typed arrays of any kind');
  const rng = new Rng(5);
  for (let trial = 0; trial < 50; trial++) {
    const n = 1 + Math.floor(rng.nextDouble() * 200);
    const a = randomBipolar(n, rng);
    const b = randomBipolar(n, rng);
    let differing = 0;
    let dot = 0;
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) differing++;
      dot += a[i] * b[i];
    }
    t.equal(hammingDistance(a, b), differing, `trial ${trial}`);
    // a.b = (n - d) - d for +-1 vectors.
    t.equal(hammingDistance(a, b), (n - dot) / 2);
    t.equal(hammingDistance(a, a.map((v) => -v)), n, 'distance to the negation is n');
  }
});

t.test('hammingSimilarity is 1 - d / N', async (t) => {
  t.equal(hammingSimilarity([1, 1, -1, -1], [1, 1, -1, 1]), 0.75);
  t.equal(hammingSimilarity([1, -1], [-1, 1]), 0);
  t.equal(hammingSimilarity([1], [1]), 1);
  const x = randomPatterns(1, 80, { seed: 2 }).data;
  for (const flips of [0, 1, 7, 40, 80]) t.equal(hammingSimilarity(x, flipBits(x, flips, flips)), 1 - flips / 80, `${flips} flips`);
  t.throws(() => hammingSimilarity([1, -1], [1]), { name: 'RangeError', message: /b must have length 2/ });
  t.throws(() => hammingSimilarity([], []), RangeError);
});

t.test('similarityMatrix holds the pairwise overlaps (1/N) x_a . x_b', async (t) => {
  const hand = similarityMatrix([[1, 1, -1], [1, -1, -1]]);
  t.same([hand.rows, hand.cols], [2, 2]);
  t.same(Array.from(hand.data), [1, 1 / 3, 1 / 3, 1]);
  const set = randomPatterns(9, 37, { seed: 4 });
  for (const input of [set, Array.from({ length: 9 }, (_, r) => Array.from(set.data.subarray(r * 37, (r + 1) * 37)))]) {
    const m = similarityMatrix(input);
    t.same([m.rows, m.cols], [9, 9]);
    let worst = 0;
    for (let a = 0; a < 9; a++) {
      for (let b = 0; b < 9; b++) {
        let dot = 0;
        for (let i = 0; i < 37; i++) dot += set.data[a * 37 + i] * set.data[b * 37 + i];
        worst = Math.max(worst, Math.abs(m.data[a * 9 + b] - dot / 37));
      }
    }
    t.equal(worst, 0, 'every entry equals dot / N');
  }
  t.throws(() => similarityMatrix([[1, 0]]), { name: 'RangeError', message: /patterns\[0\]\[1\]/ });
});

t.test('toBinary maps -1 to 0 and +1 to 1, inverting toBipolar', async (t) => {
  const b = toBinary([-1, 1, 1, -1]);
  t.ok(b instanceof Uint8Array);
  t.same(Array.from(b), [0, 1, 1, 0]);
  const rng = new Rng(8);
  const x = randomBipolar(300, rng);
  const bits = toBinary(Int8Array.from(x));
  t.equal(bits.reduce((s, v) => s + v, 0), x.filter((v) => v === 1).length, 'one 1 per +1');
  t.same(Array.from(toBipolar(bits)), x, 'toBipolar(toBinary(x)) = x');
  const zeroOne = Array.from({ length: 50 }, () => (rng.nextDouble() < 0.5 ? 0 : 1));
  t.same(Array.from(toBinary(toBipolar(zeroOne))), zeroOne, 'toBinary(toBipolar(b)) = b');
  t.throws(() => toBinary([1, 0, -1]), { name: 'RangeError', message: /bipolar\[1\] must be \+1 or -1, got 0/ });
  t.throws(() => toBinary('1' as never), TypeError);
});
