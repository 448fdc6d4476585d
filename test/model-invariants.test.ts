// Model files whose checksums are right but whose contents do not make one network (forged with
// encodeModel, which computes the CRCs of whatever it is given) are RangeErrors naming the file
// and the field, in both backends; before, they loaded and 'matrix' and 'patterns' fields (the
// same network) recalled different states, or energies were NaN.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BinaryHopfield, randomPatterns, Rng } from '../src/index';
import { decodeModel, encodeModel, ModelSnapshot } from '../src/io/modelFile';
import { backendsUnderTest } from './helpers';

const n = 12;
const snapshotOf = (net: BinaryHopfield): ModelSnapshot => decodeModel(net.toBuffer());
const hebbian = snapshotOf(new BinaryHopfield(n).store(randomPatterns(3, n, { seed: 1 })));
const hebbianFull = snapshotOf(new BinaryHopfield(n, { zeroDiagonal: false }).store(randomPatterns(2, n, { seed: 2 })));
const storkey = snapshotOf(new BinaryHopfield(n, { rule: 'storkey', thresholds: new Array(n).fill(0.25) }).store(randomPatterns(3, n, { seed: 3 })));
const pseudo = snapshotOf(new BinaryHopfield(n, { rule: 'pseudoinverse' }).store(randomPatterns(4, n, { seed: 4 })));
const rng = new Rng(5);
const asymmetric = snapshotOf(BinaryHopfield.fromWeights({ data: Float64Array.from({ length: n * n }, () => rng.nextDouble() - 0.5), rows: n, cols: n }));

function changed<T extends Int8Array | Float64Array | Int16Array | Int32Array>(a: T, edits: [number, number][]): T {
  const copy = a.slice() as T;
  for (const [k, v] of edits) copy[k] = v;
  return copy;
}

/** Forged files: [what, snapshot, field the error must name]. */
const forged: [string, ModelSnapshot, string][] = [
  ['Hebbian counts as float64', { ...hebbian, weights: Float64Array.from(hebbian.weights) }, 'weights are Float64Array'],
  ['Hebbian counts one pair off', { ...hebbian, weights: changed(hebbian.weights, [[1, hebbian.weights[1] + 2], [n, hebbian.weights[n] + 2]]) }, 'weights are not the Hebbian counts'],
  ['Hebbian counts beyond p', { ...hebbian, weights: changed(hebbian.weights, [[1, 5], [n, 5]]) }, 'weights are not the Hebbian counts'],
  ['a stored pattern changed under its counts', { ...hebbian, patterns: changed(hebbian.patterns, [[0, -hebbian.patterns[0]]]) }, 'weights are not the Hebbian counts'],
  ['a Hebbian diagonal not zeroed', { ...hebbian, zeroDiagonal: false }, 'weights are not the Hebbian counts'],
  ['a kept Hebbian diagonal zeroed', { ...hebbianFull, weights: changed(hebbianFull.weights, [[0, 0]]) }, 'weights are not the Hebbian counts'],
  ['a scale of 1.7e308', { ...hebbian, scale: 1.7e308 }, 'scale is 1.7e+308'],
  ['a Storkey scale of 2', { ...storkey, scale: 2 }, 'scale is 2'],
  ['Storkey weights as int8', { ...storkey, weights: Int8Array.from(storkey.weights, Math.round) }, 'weights are Int8Array'],
  ['a Storkey diagonal kept', { ...storkey, zeroDiagonal: false }, 'zeroDiagonal is false'],
  ['a Storkey diagonal entry', { ...storkey, weights: changed(storkey.weights, [[n + 1, 0.5]]) }, `weights[1][1] is 0.5`],
  ['asymmetric Storkey weights', { ...storkey, weights: changed(storkey.weights, [[2, 0.125]]) }, 'weights[0][2] differs from its transpose entry'],
  ['a NaN threshold', { ...storkey, thresholds: changed(storkey.thresholds!, [[3, NaN]]) }, 'thresholds[3] is NaN'],
  ['a threshold of 1e200', { ...storkey, thresholds: changed(storkey.thresholds!, [[0, 1e200]]) }, 'thresholds[0] is 1e+200'],
  ['a pseudo-inverse rank above p', { ...pseudo, rank: 5 }, 'rank is 5, outside [1, 4]'],
  ['a pseudo-inverse rank of 0', { ...pseudo, rank: 0 }, 'rank is 0'],
  ['a weight of 1e300', { ...pseudo, weights: changed(pseudo.weights, [[1, 1e300], [n, 1e300]]) }, 'weights[0][1] is 1e+300'],
  ['an infinite weight', { ...asymmetric, weights: changed(asymmetric.weights, [[5, -Infinity]]) }, 'weights[0][5] is -Infinity'],
  ['a transpose that is not one', { ...asymmetric, weightsT: changed(asymmetric.weightsT!, [[n + 2, 7]]) }, 'weightsT[1][2] is 7'],
  ['asymmetric weights without their transpose', { ...asymmetric, weightsT: null }, 'weights[0][1] differs from its transpose entry and no transpose is stored'],
  ['explicit weights with patterns', { ...asymmetric, patterns: hebbian.patterns }, 'patterns are 3 rows (rank 0), a network from explicit weights stores none'],
  ['explicit weights with a zeroed diagonal', { ...asymmetric, zeroDiagonal: true }, 'zeroDiagonal is true'],
];

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] consistent checksums, inconsistent contents: a RangeError naming the field`, async (t) => {
    for (const [what, model, field] of forged) {
      t.throws(() => BinaryHopfield.fromBuffer(encodeModel(model), { backend }), { name: 'RangeError', message: `cannot read model from buffer: ${field}` }, what);
    }
    const dir = t.testdir();
    const file = path.join(dir, 'forged.sshn');
    fs.writeFileSync(file, encodeModel(forged[1][1]));
    t.throws(() => BinaryHopfield.load(file, { backend }), { name: 'RangeError', message: `cannot read model from ${file}: weights are not the Hebbian counts of the 3 stored patterns` });
    for (const model of [hebbian, hebbianFull, storkey, pseudo, asymmetric]) {
      t.equal(BinaryHopfield.fromBuffer(encodeModel(model), { backend }).n, n, `the unforged ${model.rule} file loads`);
    }
  });

  t.test(`[${backend}] every change of one Hebbian count pair that keeps its parity and bound is refused`, async (t) => {
    const p = 5;
    const m = 9;
    const base = snapshotOf(new BinaryHopfield(m, { backend }).store(randomPatterns(p, m, { seed: 6 })));
    let accepted = 0;
    let tried = 0;
    for (let i = 0; i < m; i++) {
      for (let j = i + 1; j < m; j++) {
        for (let v = -p; v <= p; v += 2) {
          if (v === base.weights[i * m + j]) continue;
          tried++;
          const forgedModel = { ...base, weights: changed(base.weights, [[i * m + j, v], [j * m + i, v]]) };
          try {
            BinaryHopfield.fromBuffer(encodeModel(forgedModel), { backend });
            accepted++;
          } catch (e) {
            if (!(e instanceof RangeError)) throw e;
          }
        }
      }
    }
    t.equal(accepted, 0, `${tried} forged pairs, none accepted`);
  });

  t.test(`[${backend}] a loaded Hebbian file recalls alike with 'matrix' and 'patterns' fields`, async (t) => {
    const m = 64;
    const net = BinaryHopfield.fromBuffer(new BinaryHopfield(m, { backend }).store(randomPatterns(8, m, { seed: 7 })).toBuffer(), { backend });
    const cues = randomPatterns(40, m, { seed: 8 });
    for (const mode of ['sync', 'async'] as const) {
      const a = net.recallBatch(cues, { mode, fields: 'matrix', seed: 2 }).map((r) => r.state.join());
      const b = net.recallBatch(cues, { mode, fields: 'patterns', seed: 2 }).map((r) => r.state.join());
      t.same(b, a, mode);
    }
  });
}
