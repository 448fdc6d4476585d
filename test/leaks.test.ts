// Memory stays flat over tens of thousands of small calls and hundreds of large async calls to the
// transforms, LP-SparseMAP solves, latent Hopfield networks and memories (scripts/leak-check.js, in
// a child process; it prints the same figures for any counts). Growth is the median of three
// consecutive windows, so an allocator's one-off step, up or down, does not count. A leak of 200
// bytes per small call or 20 kB per large call crosses these bounds (checked by injecting one into
// the memory part).
import t from 'tap';
import { backendsUnderTest, describeGrowth, leakGrowth } from './helpers';

const SMALL = 50000;
const LARGE = 400;

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] RSS stays flat over transforms, solves, latent dynamics and memory retrievals`, async (t) => {
    const growth = leakGrowth(backend, ['transforms', 'sparsemap', 'lshn', 'memory'], SMALL, LARGE);
    for (const [part, g] of Object.entries(growth)) {
      t.ok(g.small.growth < 10, `${part}: ${SMALL} small calls, RSS grew ${describeGrowth(g.small)}`);
      t.ok(g.large.growth < 4, `${part}: ${LARGE} large async calls, RSS grew ${describeGrowth(g.large)}`);
    }
  });
}
