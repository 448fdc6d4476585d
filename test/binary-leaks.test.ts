// Memory stays flat over many calls: a child process runs the loops with explicit GC and reports
// the RSS growth, which must stay under a bound (scripts/leak-check.js prints the same figures).
import t from 'tap';
import { backendsUnderTest, describeGrowth, leakGrowth } from './helpers';

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] RSS stays flat over many small and large async calls`, async (t) => {
    const { binary } = leakGrowth(backend, ['binary'], backend === 'native' ? 300000 : 100000, 1500);
    t.ok(binary.small.growth < 20, `small calls: RSS grew ${describeGrowth(binary.small)}`);
    t.ok(binary.large.growth < 10, `large async calls: RSS grew ${describeGrowth(binary.large)}`);
  });
}
