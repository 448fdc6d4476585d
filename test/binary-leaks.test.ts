// Memory stays flat over many calls: a child process runs the loops with explicit GC and reports
// the RSS growth, which must stay under a bound (scripts/leak-check.js prints the same figures).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const script = path.join(__dirname, '..', 'scripts', 'leak-check.js');

for (const backend of process.env.SSHN_BACKEND === 'js' ? ['js'] : ['native', 'js']) {
  t.test(`[${backend}] RSS stays flat over many small and large async calls`, async (t) => {
    const small = backend === 'native' ? 300000 : 100000;
    const large = 1500;
    const r = spawnSync(process.execPath, ['--expose-gc', script, '--small', String(small), '--large', String(large)], {
      env: { ...process.env, SSHN_BACKEND: backend },
      encoding: 'utf8',
    });
    t.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { smallGrowthMiB: number; largeGrowthMiB: number };
    t.ok(report.smallGrowthMiB < 20, `small calls: RSS grew ${report.smallGrowthMiB.toFixed(1)} MiB`);
    t.ok(report.largeGrowthMiB < 10, `large async calls: RSS grew ${report.largeGrowthMiB.toFixed(1)} MiB`);
  });
}
