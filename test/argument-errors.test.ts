// Missing or malformed arguments of public functions give a TypeError or RangeError naming the
// argument, not a JavaScript error from inside (Cannot read properties of null, x.map is not a
// function). Regression tests of the defects the junk-argument walk (junk-arguments.test.ts) found.
import t from 'tap';
import { corrupt, hebbianLatent, meanAbsoluteError, meanSquaredError, retrievalAccuracy, sumSquaredErrors, trainAttractor, trainAttractorAsync } from '../src/index';
import { backendsUnderTest } from './helpers';

const rows = (name: string, got: string) => ({ name: 'TypeError', message: `${name} must be an array of rows or a {data, rows, cols} matrix, got ${got}` });

t.test('image and code rows: a missing or null argument is named', async (t) => {
  const x = [[0.5, -0.5]];
  for (const [what, metric] of [['sumSquaredErrors', sumSquaredErrors], ['meanSquaredError', meanSquaredError], ['meanAbsoluteError', meanAbsoluteError], ['retrievalAccuracy', retrievalAccuracy]] as const) {
    t.throws(() => (metric as (...a: unknown[]) => unknown)(), rows('originals', 'undefined'), `${what}()`);
    t.throws(() => metric(x, null as never), rows('originals', 'null'), `${what}(x, null)`);
    t.throws(() => metric(null as never, x), rows('recalled', 'null'), `${what}(null, x)`);
    t.throws(() => metric(x, [5] as never), { name: 'TypeError', message: 'originals[0] must be an array or typed array of numbers, got 5' }, `${what}(x, [5])`);
  }
  t.throws(() => retrievalAccuracy(x, x, 'x' as never), { name: 'TypeError', message: "threshold must be a number, got 'x'" });
  t.throws(() => (corrupt.halfMask as (...a: unknown[]) => unknown)(), rows('images', 'undefined'));
  t.throws(() => corrupt.gaussian(null as never, 0.1, 1), rows('images', 'null'));
  t.throws(() => (hebbianLatent as (...a: unknown[]) => unknown)(), rows('codes', 'undefined'));
  // Still computed from the first row's width when it is valid: the metrics on the [0, 1] scale.
  t.same([...sumSquaredErrors([[1, -1], [0, 0]], [[-1, -1], [0, 1]])], [1, 0.25]);
  t.equal(meanAbsoluteError([[1, -1]], [[-1, -1]]), 0.5);
});

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] trainAttractor names a missing codes argument`, async (t) => {
    t.throws(() => trainAttractor(null as never, { backend }), rows('codes', 'null'));
    await t.rejects(trainAttractorAsync(undefined as never, { backend }), rows('codes', 'undefined'));
  });
}
