// Memory stays flat over tens of thousands of small calls and hundreds of large async calls to the
// transforms, LP-SparseMAP solves, latent Hopfield networks and memories (scripts/leak-check.js, in a child
// process; it prints the same figures for any counts; growth is the smaller of two consecutive windows,
// so an allocator's one-off step does not count). A leak of 200 bytes per small call or 20 kB per
// large call crosses these bounds (checked by injecting one into the memory part: 30 MiB and 5.5 MiB).
import t from 'tap';
import { backendsUnderTest, leakGrowth } from './helpers';

const SMALL = 50000;
const LARGE = 400;

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] RSS stays flat over transforms, solves, latent dynamics and memory retrievals`, async (t) => {
    const growth = leakGrowth(backend, ['transforms', 'sparsemap', 'lshn', 'memory'], SMALL, LARGE);
    for (const [part, g] of Object.entries(growth)) {
      t.ok(g.small < 10, `${part}: ${SMALL} small calls, RSS grew ${g.small.toFixed(1)} MiB`);
      t.ok(g.large < 4, `${part}: ${LARGE} large async calls, RSS grew ${g.large.toFixed(1)} MiB`);
    }
  });
}
