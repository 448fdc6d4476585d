// Large outputs of the native memory kernels are advised transparent huge pages (native/core/pages):
// where Linux offers them on request, a fresh process's Gram matrix of 4 000 patterns (64 MB) is
// then mostly backed by huge pages, and with SSHN_HUGE_PAGES=0 by none; the values do not change.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendsUnderTest } from './helpers';

const root = path.join(__dirname, '..');
const probe = `
const fs = require('node:fs');
const s = require(${JSON.stringify(path.join(root, 'lib'))});
const rng = new s.Rng(5);
const n = 4000, d = 8;
const m = new s.HopfieldMemory({ data: Float32Array.from({ length: n * d }, () => rng.normal()), rows: n, cols: d }, { dtype: 'float32', backend: 'native' });
const huge = () => Number(fs.readFileSync('/proc/self/smaps_rollup', 'utf8').match(/AnonHugePages:\\s+(\\d+)/)[1]) * 1024;
const before = huge();
const g = m.gram();
let sum = 0;
for (let i = 0; i < g.data.length; i += 997) sum += g.data[i];
console.log(JSON.stringify({ grown: huge() - before, bytes: g.data.byteLength, sum }));
`;

const thp = '/sys/kernel/mm/transparent_hugepage/enabled';
const mode = fs.existsSync(thp) ? /\[(\w+)\]/.exec(fs.readFileSync(thp, 'utf8'))?.[1] : undefined;

if (!backendsUnderTest().includes('native') || process.platform !== 'linux' || mode !== 'madvise') {
  t.pass(`not applicable here (native backend ${backendsUnderTest().includes('native')}, ${process.platform}, THP mode ${mode ?? 'none'})`);
} else {
  t.test('the Gram matrix is advised huge pages, unless SSHN_HUGE_PAGES=0', async (t) => {
    const run = (env: Record<string, string>) => {
      const r = spawnSync(process.execPath, ['-e', probe], { env: { ...process.env, ...env }, encoding: 'utf8' });
      t.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { grown: number; bytes: number; sum: number };
    };
    const advised = run({});
    const plain = run({ SSHN_HUGE_PAGES: '0' });
    // Only whole 2 MiB pages inside the buffer can be huge; the kernel may also refuse some.
    t.ok(advised.grown >= advised.bytes / 2, `advised: ${advised.grown} bytes of huge pages for ${advised.bytes}`);
    t.ok(plain.grown < plain.bytes / 8, `SSHN_HUGE_PAGES=0: ${plain.grown} bytes of huge pages`);
    t.equal(advised.sum, plain.sum, 'the same values');
  });
}
